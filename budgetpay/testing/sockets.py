"""Real WebSocket clients of real server processes (the websockets library): a person's
notification socket opened live, how the server closed a socket, and a ping it answers."""

import json
from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from budgetpay.testing.servers import ServerProcess

NOTIFICATION_SOCKET = "/api/v1/notification/ws"


def live_socket(sockets: ExitStack, server: ServerProcess, token: str):
    """The notification socket of the person with access `token` on `server`, past its first frame
    (the unread count it is asked for); `sockets` closes it."""
    url = f"{server.ws_url}{NOTIFICATION_SOCKET}?token={token}&unread_count=1"
    socket = sockets.enter_context(connect(url, open_timeout=10))
    assert json.loads(socket.recv(timeout=10))["type"] == "unread_count"
    return socket


def close_of(socket) -> tuple[int, str]:
    """The code and reason the server closed `socket` with; frames before the close are passed over."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            socket.recv(timeout=10)
    return closed.value.rcvd.code, closed.value.rcvd.reason


def pongs(socket) -> bool:
    """The socket is open and answers a ping."""
    socket.send(json.dumps({"type": "ping"}))
    return json.loads(socket.recv(timeout=10)) == {"type": "pong"}
