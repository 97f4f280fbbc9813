"""Issue 13, item 1: a client that passes no flag and sends nothing receives only
`notification` frames (the seed's example shows every frame as a notification);
`unread_count` frames come only with `?unread_count=1`. Through the whole ASGI stack
with channels' WebsocketCommunicator."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from budgetpay.testing.communicator import open_socket, receive
from notifications import services
from notifications.consumers import NotificationConsumer
from notifications.models import Notification
from users.socket_auth import JWTAuthMiddleware

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

WS = "/api/v1/notification/ws"


@sync_to_async
def notify(user, title: str) -> Notification:
    return services.notify(user=user, type=Notification.Type.INCOME_RECEIVED, title=title, message=f"{title} body")


async def test_without_a_flag_only_notification_frames_arrive(user):
    old = await notify(user, "Before the socket")
    socket = await open_socket(user)
    # A consumer handles one message at a time: the pong comes once the connect is done,
    # so a count sent on connect would arrive before it.
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}

    live = await notify(user, "Salary arrived")
    frame = await receive(socket)
    assert frame["type"] == "notification" and frame["data"]["title"] == "Salary arrived"

    # A count change from another device (the REST API, another socket) sends nothing here.
    await sync_to_async(services.notification_mark_read)(notification=old)
    second = await notify(user, "Rent paid")
    # Frames to one channel keep their order: had the count change sent a frame, it would come first.
    assert (await receive(socket))["data"]["id"] == second.id
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()

    # A replay is notification frames only, with no count after it.
    resumed = await open_socket(user, f"&since={old.id}")
    replayed = [await receive(resumed), await receive(resumed)]
    assert [(m["type"], m["data"]["id"], m["replay"]) for m in replayed] == [
        ("notification", live.id, True),
        ("notification", second.id, True),
    ]
    assert await resumed.receive_nothing(timeout=0.5)
    await resumed.disconnect()


async def test_replies_to_what_the_client_sends_are_not_opt_in(user):
    mine = await notify(user, "Hello")
    socket = await open_socket(user, "&since=oops")
    assert (await receive(socket))["error"] == "invalid_since"
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await socket.send_json_to({"type": "mark_read", "id": "x"})
    assert (await receive(socket))["error"] == "invalid_id"
    await socket.send_json_to({"type": "mark_read", "id": mine.id})
    await socket.send_json_to({"type": "mark_all_read"})
    # mark_read's count change is an unread_count frame (not asked for); the reply to mark_all_read is not.
    assert await receive(socket) == {"type": "marked_all_read", "data": {"marked": 0}}
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_with_unread_count_1_the_counts_come_as_before(user):
    old = await notify(user, "Before the socket")
    socket = await open_socket(user, "&unread_count=1")
    assert await receive(socket) == {"type": "unread_count", "data": {"unread_count": 1}}
    created = await notify(user, "Salary arrived")
    assert (await receive(socket))["data"]["id"] == created.id
    assert await receive(socket) == {"type": "unread_count", "data": {"unread_count": 2}}
    await sync_to_async(services.notification_mark_read)(notification=old)
    assert await receive(socket) == {"type": "unread_count", "data": {"unread_count": 1}}
    await socket.disconnect()

    resumed = await open_socket(user, f"&since={old.id}&unread_count=1")
    assert (await receive(resumed))["data"]["id"] == created.id
    assert await receive(resumed) == {"type": "unread_count", "data": {"unread_count": 1}}
    await resumed.disconnect()


@pytest.mark.parametrize(
    ("value", "counts"), [("1", True), ("true", True), ("0", False), ("false", False), ("", False)]
)
async def test_the_flag_reads_on_and_off(user, value, counts):
    socket = await open_socket(user, f"&unread_count={value}")
    if counts:
        assert await receive(socket) == {"type": "unread_count", "data": {"unread_count": 0}}
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_a_flag_that_is_neither_on_nor_off_is_an_error_and_stays_off(user):
    socket = await open_socket(user, "&unread_count=please")
    reply = await receive(socket)
    assert reply["type"] == "error" and reply["error"] == "invalid_flag"
    assert "unread_count must be 1 or 0" in reply["message"]
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}  # the socket has joined its group
    await notify(user, "Hello")
    assert (await receive(socket))["type"] == "notification"
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


class ConsumerWithProgress(NotificationConsumer):
    """A later kind, as import progress will add it: one entry in opt_in_frames."""

    opt_in_frames = {**NotificationConsumer.opt_in_frames, "progress": "progress"}

    async def on_authenticated(self) -> None:
        await super().on_authenticated()
        await self.send_json({"type": "progress", "data": {"rows": 10, "done": 4}})


@pytest.mark.parametrize(
    ("query", "kinds"),
    [
        ("", []),
        ("&progress=1", ["progress"]),
        ("&unread_count=1", ["unread_count"]),
        ("&unread_count=1&progress=1", ["unread_count", "progress"]),
    ],
)
async def test_the_rule_is_general_each_opt_in_kind_has_its_own_flag(user, query, kinds):
    app = JWTAuthMiddleware(ConsumerWithProgress.as_asgi())
    socket = WebsocketCommunicator(app, f"{WS}?token={AccessToken.for_user(user)}{query}")
    assert (await socket.connect())[0]
    assert [(await receive(socket))["type"] for _ in kinds] == kinds
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()
