"""Real Daphne processes on PostgreSQL and Redis, real WebSocket clients."""

import json
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from budgetpay.testing.ledger_http import over_budget_setup, post_expense
from budgetpay.testing.servers import DaphneServer, daphne_processes, http_json, prepare_e2e_database, register

pytestmark = [pytest.mark.e2e, pytest.mark.services]

PASSWORD = "realtime-long-password-31"


def frames_until(socket, predicate, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(socket.recv(timeout=max(0.01, deadline - time.monotonic())))
        if predicate(message):
            return message


def is_notification(type_: str):
    return lambda message: message["type"] == "notification" and message["data"]["type"] == type_


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory, postgres_url, redis_url):
    workdir = tmp_path_factory.mktemp("realtime")
    database_url = prepare_e2e_database(workdir, "realtime", base_url=postgres_url)
    with daphne_processes(workdir, database_url=database_url, redis_url=redis_url, prefix="e2e-realtime") as servers:
        yield servers


def test_a_write_on_one_process_reaches_a_socket_on_another(two_processes):
    first, second = two_processes
    tokens = register(first.url, "cross@example.com", PASSWORD)
    account, category = over_budget_setup(first, tokens["access"])
    with connect(
        f"{first.ws_url}/api/v1/notification/ws?token={tokens['access']}&unread_count=1", open_timeout=10
    ) as socket:
        assert json.loads(socket.recv(timeout=10)) == {"type": "unread_count", "data": {"unread_count": 0}}
        expense = post_expense(second, tokens["access"], account, category, "120.00")
        message = frames_until(socket, is_notification("budget_exceeded"))
        assert message["data"]["title"] == "Dining budget exceeded"
        assert message["data"]["data"]["spent"] == "120.00"
        assert frames_until(socket, lambda m: m["type"] == "unread_count")["data"]["unread_count"] >= 1
    assert expense["amount"] == "120.00"
    for server in two_processes:
        assert tokens["access"] not in server.log_path.read_text(), "the token leaked into the log"


def test_an_idle_socket_stays_open_past_the_redis_socket_timeout(two_processes):
    first, _ = two_processes
    tokens = register(first.url, "idle@example.com", PASSWORD)
    with connect(
        f"{first.ws_url}/api/v1/notification/ws?token={tokens['access']}&unread_count=1", open_timeout=10
    ) as socket:
        socket.recv(timeout=10)
        with pytest.raises(TimeoutError):
            socket.recv(timeout=35)  # 35 s of silence, longer than redis-py's 5 s default timeout
        socket.send(json.dumps({"type": "ping"}))
        assert json.loads(socket.recv(timeout=10)) == {"type": "pong"}


def test_redis_down_the_expense_is_saved_and_replayed_later(tmp_path, postgres_url, private_redis):
    database_url = prepare_e2e_database(tmp_path, "redisdown", base_url=postgres_url)
    server = DaphneServer(tmp_path, database_url=database_url, REDIS_URL=private_redis.url).start()
    try:
        tokens = register(server.url, "outage@example.com", PASSWORD)
        account, category = over_budget_setup(server, tokens["access"])
        with connect(
            f"{server.ws_url}/api/v1/notification/ws?token={tokens['access']}&unread_count=1", open_timeout=10
        ) as socket:
            socket.recv(timeout=10)
            status, notifications = http_json(server.url, "GET", "/api/v1/notification", token=tokens["access"])
            last_seen = max([n["id"] for n in notifications["results"]], default=0)
            private_redis.stop()
            expense = post_expense(server, tokens["access"], account, category, "130.00")
            with pytest.raises((ConnectionClosed, TimeoutError)):
                frames_until(socket, is_notification("budget_exceeded"), timeout=3)

        status, stored = http_json(server.url, "GET", f"/api/v1/transactions/{expense['id']}", token=tokens["access"])
        assert status == 200 and stored["amount"] == "130.00"
        status, health = http_json(server.url, "GET", "/health")
        assert status == 503 and health["checks"]["channel_layer"].startswith("error")

        private_redis.start()
        with connect(
            f"{server.ws_url}/api/v1/notification/ws?token={tokens['access']}&since={last_seen}", open_timeout=10
        ) as socket:
            replayed = frames_until(socket, is_notification("budget_exceeded"))
            assert replayed["data"]["data"]["spent"] == "130.00"
        assert "the client will replay it" in server.log_path.read_text()
    finally:
        server.stop()
