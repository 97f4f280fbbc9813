"""Told while the app is closed, end to end on real processes: an expense that crosses 80 % of
a budget reaches the person's socket, a local stand-in push service (which checks the VAPID
signature and decrypts the aes128gcm payload with the browser's private key) and a local
webhook receiver (which checks the Standard Webhooks signature).

Twice: with the job engine as production scales it (Daphne, a Celery worker and beat on
PostgreSQL and Redis), and with Daphne alone and no broker (its own job threads), where a
receiver that fails first gets the same event again under the same webhook-id."""

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from websockets.sync.client import connect

from budgetpay.testing.ledger_http import over_budget_setup, post_expense
from budgetpay.testing.push_service import PushService
from budgetpay.testing.servers import (
    DaphneServer,
    JobProcess,
    http_json,
    prepare_e2e_database,
    register,
    server_environment,
)
from budgetpay.testing.webhook_receiver import WebhookReceiver
from notifications.push import vapid_key_pair

pytestmark = [pytest.mark.e2e]

PASSWORD = "deliveries-long-password-47"


def delivery_settings(**extra: str) -> dict[str, str]:
    public_key, private_key = vapid_key_pair()
    return {
        "VAPID_PUBLIC_KEY": public_key,
        "VAPID_PRIVATE_KEY": private_key,
        "VAPID_SUBJECT": "mailto:ops@budgetpay.test",
        # The stand-ins listen on 127.0.0.1, which outbound calls refuse unless allowed.
        "WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8",
        "DELIVERY_SWEEP_SECONDS": "0.5",
        "DELIVERY_RETRY_DELAYS": "1,1,1,2,2,2",
        "DELIVERY_CLAIM_SECONDS": "10",
        **extra,
    }


def connect_channels(server: DaphneServer, email: str, push: PushService, receiver: WebhookReceiver) -> dict:
    """A new person with a budget, a device subscribed to pushes and a webhook."""
    tokens = register(server.url, email, PASSWORD)
    token = tokens["access"]
    account, category = over_budget_setup(server, token)
    status, device = http_json(
        server.url, "POST", "/api/v1/notification/push-subscriptions", push.subscription(), token
    )
    assert status == 201, device
    # Only budget alerts: the daily insight (its schedule runs at start) stays out of the way.
    body = {"url": receiver.url, "types": ["budget_threshold"]}
    status, webhook = http_json(server.url, "POST", "/api/v1/webhooks", body, token)
    assert status == 201, webhook
    receiver.secret = webhook["secret"]
    return {"token": token, "account": account, "category": category}


def frames_until(socket, predicate, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(socket.recv(timeout=max(0.01, deadline - time.monotonic())))
        if predicate(message):
            return message


def about_notification(received, notification_id: int) -> list:
    return [r for r in received if r.payload and r.payload.get("data", {}).get("id") == notification_id]


def is_budget_alert(message: dict) -> bool:
    return message["type"] == "notification" and message["data"]["type"] == "budget_threshold"


def assert_told_everywhere(server: DaphneServer, person: dict, push: PushService, receiver: WebhookReceiver) -> dict:
    """Cross 80 % of the budget; the socket, the push service and the receiver all hear of it."""
    url = f"{server.ws_url}/api/v1/notification/ws?token={person['token']}"
    with connect(url, open_timeout=10) as socket:
        post_expense(server, person["token"], person["account"], person["category"], "85.00")
        frame = frames_until(socket, is_budget_alert)
    notification = frame["data"]

    (message,) = push.wait_for(1, timeout=30)
    assert message.claims["sub"] == "mailto:ops@budgetpay.test"
    assert message.payload["notification_id"] == notification["id"]
    assert message.payload["title"] == notification["title"]
    assert message.payload["message"] == notification["message"]
    assert message.topic and message.urgency in ("normal", "high")

    # The daily insight may reach the webhook too (its schedule runs at start): find this one.
    deadline = time.monotonic() + 30
    while not (about := about_notification(receiver.deliveries.values(), notification["id"])):
        assert time.monotonic() < deadline, [r.payload for r in receiver.requests]
        time.sleep(0.2)
    (received,) = about
    assert received.verified
    assert received.payload["type"] == "notification.created"
    assert received.payload["data"] == notification  # the notification as the REST API shows it
    assert message.payload["id"] != received.id  # one delivery, one stable id, per target

    status, deliveries = http_json(
        server.url, "GET", f"/api/v1/notification/{notification['id']}/deliveries", token=person["token"]
    )
    assert status == 200, deliveries
    rows = deliveries if isinstance(deliveries, list) else deliveries["results"]
    deadline = time.monotonic() + 15
    while {row["state"] for row in rows} != {"sent"} and time.monotonic() < deadline:
        time.sleep(0.3)
        _, rows = http_json(
            server.url, "GET", f"/api/v1/notification/{notification['id']}/deliveries", token=person["token"]
        )
    assert sorted(row["channel"] for row in rows) == ["push", "webhook"]
    assert {row["key"] for row in rows} == {message.payload["id"], received.id}
    return notification


@contextmanager
def job_processes(workdir, env: dict[str, str]) -> Iterator[list[JobProcess]]:
    with ExitStack() as stack:
        processes = []
        for process in (
            JobProcess(workdir, kind="worker", env=env, name="worker-1"),
            JobProcess(workdir, kind="beat", env=env),
        ):
            stack.callback(process.stop)
            processes.append(process.start())
        yield processes


@pytest.mark.services
def test_celery_worker_and_beat_deliver_push_and_webhook(tmp_path, postgres_url, redis_url):
    database_url = prepare_e2e_database(tmp_path, "deliveries", base_url=postgres_url)
    broker = redis_url.rsplit("/", 1)[0] + "/14"
    settings = delivery_settings(
        REDIS_URL=redis_url, CELERY_BROKER_URL=broker, CHANNEL_LAYER_PREFIX="e2e-deliveries", JOBS_IN_PROCESS="false"
    )
    env = server_environment(DATABASE_URL=database_url, **settings)
    with (
        PushService(application_server_key=settings["VAPID_PUBLIC_KEY"]) as push,
        WebhookReceiver() as receiver,
        job_processes(tmp_path, env),
    ):
        server = DaphneServer(tmp_path, database_url=database_url, name="deliveries", **settings).start()
        try:
            person = connect_channels(server, "closed-app@example.com", push, receiver)
            assert_told_everywhere(server, person, push, receiver)
            status, health = http_json(server.url, "GET", "/health")
            assert status == 200 and health["jobs"]["engine"] == "celery"
            deadline = time.monotonic() + 10
            while health["jobs"]["sweeper"] != "ok" and time.monotonic() < deadline:
                time.sleep(0.5)
                _, health = http_json(server.url, "GET", "/health")
            assert health["jobs"]["sweeper"] == "ok", health  # beat rings the sweeper; a worker runs it
        finally:
            server.stop()
    assert push.rejected == [] and receiver.duplicates == 0


@pytest.mark.services
def test_daphne_alone_delivers_and_a_failing_receiver_gets_the_same_event_again(tmp_path, postgres_url):
    """No broker: Daphne's own job threads, the in-memory channel layer."""
    database_url = prepare_e2e_database(tmp_path, "alone", base_url=postgres_url)
    settings = delivery_settings(REDIS_URL="", CELERY_BROKER_URL="", JOBS_IN_PROCESS="true")
    with PushService(application_server_key=settings["VAPID_PUBLIC_KEY"]) as push, WebhookReceiver() as receiver:
        server = DaphneServer(tmp_path, database_url=database_url, name="alone", **settings).start()
        try:
            person = connect_channels(server, "embedded@example.com", push, receiver)
            receiver.respond(500, times=1)
            notification = assert_told_everywhere(server, person, push, receiver)
            status, health = http_json(server.url, "GET", "/health")
            assert status == 200 and health["jobs"]["engine"] == "thread"
            assert health["jobs"]["sweeper"] == "ok", health
        finally:
            server.stop()
    first, second = about_notification(receiver.requests, notification["id"])
    assert (first.status, second.status) == (500, 200)
    assert first.id == second.id  # the same event under the same webhook-id
    assert receiver.duplicates == 0
