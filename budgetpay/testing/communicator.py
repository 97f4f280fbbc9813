"""The notification socket in-process (channels' WebsocketCommunicator on the ASGI app)."""

import json

from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from budgetpay.asgi import application

NOTIFICATION_SOCKET = "/api/v1/notification/ws"


async def open_socket(user, query: str = "") -> WebsocketCommunicator:
    """The person's notification socket, connected; `query` is appended ("&since=3")."""
    communicator = WebsocketCommunicator(
        application, f"{NOTIFICATION_SOCKET}?token={AccessToken.for_user(user)}{query}"
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive(communicator: WebsocketCommunicator) -> dict:
    """The next frame, as JSON (3 s at most)."""
    return json.loads(await communicator.receive_from(timeout=3))
