"""Sockets end with their credentials on every process (issue 12, items 5 and 6): two
real Daphne processes sharing Redis, a password change through the API on one closes
the person's socket on the other, and the old access token cannot reconnect."""

from contextlib import ExitStack

import pytest
from websockets.sync.client import connect

from budgetpay.testing.servers import daphne_processes, http_json, prepare_e2e_database, register
from budgetpay.testing.sockets import NOTIFICATION_SOCKET, close_of, live_socket

pytestmark = [pytest.mark.e2e, pytest.mark.services]

PASSWORD = "cross-process-password-41"
NEW_PASSWORD = "cross-process-password-42"


def test_a_password_change_on_one_process_closes_sockets_on_another(tmp_path, postgres_url, redis_url):
    database_url = prepare_e2e_database(tmp_path, "socket_revoke", base_url=postgres_url)
    processes = daphne_processes(tmp_path, database_url=database_url, redis_url=redis_url, prefix="e2e-socket-revoke")
    with processes as (first, second), ExitStack() as sockets:
        tokens = register(first.url, "move@example.com", PASSWORD)
        socket = live_socket(sockets, first, tokens["access"])

        status, fresh = http_json(
            second.url,
            "POST",
            "/api/v1/auth/password/change",
            {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
            tokens["access"],
        )
        assert status == 200, fresh
        assert close_of(socket) == (4005, "password changed: reconnect")

        old = sockets.enter_context(
            connect(f"{first.ws_url}{NOTIFICATION_SOCKET}?token={tokens['access']}", open_timeout=10)
        )
        assert close_of(old) == (4001, "token revoked by a password change: sign in again")
        live_socket(sockets, second, fresh["access"])
