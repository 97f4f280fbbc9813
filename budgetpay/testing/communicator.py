"""The notification socket in-process (channels' WebsocketCommunicator on the ASGI app), and a
channel in a person's group on the real channel layer, as their socket has."""

import asyncio
import json
from collections.abc import Callable

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from budgetpay.asgi import application
from budgetpay.sockets import user_group

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


def with_a_socket_of(user, *steps: Callable[[], object]) -> list[tuple[object, list[dict]]]:
    """Run each step (sync: requests) while a channel sits in the person's group on the
    real channel layer, as their socket does; each step's result with what the channel
    received during it. One event loop throughout: the Redis layers keep a channel per loop."""

    async def scenario() -> list[tuple[object, list[dict]]]:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(user_group(user.pk), channel)
        results = []
        for step in steps:
            result = await sync_to_async(step)()
            received = []
            while True:
                try:
                    received.append(await asyncio.wait_for(layer.receive(channel), 1))
                except TimeoutError:
                    break
            results.append((result, received))
        await layer.group_discard(user_group(user.pk), channel)
        return results

    return async_to_sync(scenario)()
