"""Sockets end with their credentials on every process (issue 12, items 5 and 6): two
real Daphne processes sharing Redis, a password change through the API on one closes
the person's socket on the other, and the old access token cannot reconnect."""

import json
from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from budgetpay.testing.servers import DaphneServer, http_json, prepare_e2e_database

pytestmark = [pytest.mark.e2e, pytest.mark.services]

PASSWORD = "cross-process-password-41"
NEW_PASSWORD = "cross-process-password-42"
WS = "/api/v1/notification/ws"


def close_of(socket) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            socket.recv(timeout=10)
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_a_password_change_on_one_process_closes_sockets_on_another(tmp_path, postgres_url, redis_url):
    database_url = prepare_e2e_database(tmp_path, "socket_revoke", base_url=postgres_url)
    first, second = [
        DaphneServer(
            tmp_path,
            database_url=database_url,
            name=f"revoke-{i}",
            REDIS_URL=redis_url,
            CHANNEL_LAYER_PREFIX="e2e-socket-revoke",
        ).start()
        for i in range(2)
    ]
    try:
        status, tokens = http_json(
            first.url, "POST", "/api/v1/auth/register", {"email": "move@example.com", "password": PASSWORD}
        )
        assert status == 201, tokens
        with ExitStack() as sockets:
            socket = sockets.enter_context(
                connect(f"{first.ws_url}{WS}?token={tokens['access']}&unread_count=1", open_timeout=10)
            )
            assert json.loads(socket.recv(timeout=10))["type"] == "unread_count"

            status, fresh = http_json(
                second.url,
                "POST",
                "/api/v1/auth/password/change",
                {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
                tokens["access"],
            )
            assert status == 200, fresh
            assert close_of(socket) == (4005, "password changed: reconnect")

            old = sockets.enter_context(connect(f"{first.ws_url}{WS}?token={tokens['access']}", open_timeout=10))
            assert close_of(old) == (4001, "token revoked by a password change: sign in again")
            new = sockets.enter_context(
                connect(f"{second.ws_url}{WS}?token={fresh['access']}&unread_count=1", open_timeout=10)
            )
            assert json.loads(new.recv(timeout=10))["type"] == "unread_count"
    finally:
        first.stop()
        second.stop()
