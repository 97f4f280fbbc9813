"""The notification socket, through the whole ASGI stack (origin check, session
and JWT authentication, routing) with channels' WebsocketCommunicator."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from budgetpay.asgi import application
from notifications import services
from notifications.models import Notification

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

WS = "/api/v1/notification/ws"


def token_for(user, lifetime: timedelta | None = None) -> str:
    token = AccessToken.for_user(user)
    if lifetime is not None:
        token.set_exp(lifetime=lifetime)
    return str(token)


async def open_socket(query: str = "", headers: list | None = None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"{WS}?{query}" if query else WS, headers=headers or [])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive(communicator: WebsocketCommunicator, timeout: float = 3) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def receive_until(communicator, kind: str, timeout: float = 3) -> dict:
    while True:
        message = await receive(communicator, timeout)
        if message["type"] == kind:
            return message


@sync_to_async
def notify(user, title: str = "Hello") -> Notification:
    return services.notify(user=user, type=Notification.Type.INCOME_RECEIVED, title=title, message="Body")


async def test_live_notification_then_unread_count(user):
    socket = await open_socket(f"token={token_for(user)}&unread_count=1")
    assert await receive(socket) == {"type": "unread_count", "data": {"unread_count": 0}}
    created = await notify(user, "Salary arrived")
    message = await receive(socket)
    assert message["type"] == "notification"
    assert message["data"]["id"] == created.id
    assert message["data"]["title"] == "Salary arrived"
    assert await receive(socket) == {"type": "unread_count", "data": {"unread_count": 1}}
    await socket.disconnect()


async def test_bearer_prefix_is_tolerated(user):
    socket = await open_socket(f"token=Bearer%20{token_for(user)}&unread_count=1")
    assert (await receive(socket))["type"] == "unread_count"
    await socket.disconnect()


@pytest.mark.parametrize(
    ("query", "code"),
    [("", 4001), ("token=garbage", 4001), ("token=", 4001)],
)
async def test_bad_credentials_close_with_a_code(query, code):
    socket = await open_socket(query)
    assert await socket.receive_output(timeout=3) == {
        "type": "websocket.close",
        "code": code,
        "reason": "authentication required: pass ?token=<access JWT>"
        if "garbage" not in query
        else "invalid token: sign in again",
    }


async def test_expired_token_and_inactive_user_close_with_their_codes(user, other_user):
    expired = AccessToken.for_user(user)
    expired.set_exp(from_time=timezone.now() - timedelta(hours=1), lifetime=timedelta(minutes=1))
    socket = await open_socket(f"token={expired}&unread_count=1")
    assert (await socket.receive_output(timeout=3))["code"] == 4002

    other_user.is_active = False
    await sync_to_async(other_user.save)()
    socket = await open_socket(f"token={token_for(other_user)}&unread_count=1")
    assert (await socket.receive_output(timeout=3))["code"] == 4003


async def test_socket_closes_with_4002_when_the_token_expires_while_connected(user):
    socket = await open_socket(f"token={token_for(user, lifetime=timedelta(seconds=1))}&unread_count=1")
    await receive(socket)
    closed = await socket.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4002, "reason": "token expired: refresh it and reconnect"}


async def test_session_cookie_authenticates_the_account_pages(user, client):
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    socket = await open_socket(
        "unread_count=1", headers=[(b"cookie", cookie), (b"origin", b"http://testserver"), (b"host", b"testserver")]
    )
    assert (await receive(socket))["type"] == "unread_count"
    await socket.disconnect()


async def test_a_foreign_origin_is_refused(user, client):
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(
        application, WS, headers=[(b"cookie", cookie), (b"origin", b"https://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_resume_replays_in_order_then_goes_live_without_gaps_or_duplicates(user, other_user):
    seen = await notify(user, "seen")
    missed = [await notify(user, f"missed {i}") for i in range(3)]
    await notify(other_user, "not yours")
    socket = await open_socket(f"token={token_for(user)}&since={seen.id}&unread_count=1")
    replayed = [await receive(socket) for _ in missed]
    assert [m["data"]["id"] for m in replayed] == [n.id for n in missed]
    assert all(m["replay"] is True for m in replayed)
    assert await receive(socket) == {"type": "unread_count", "data": {"unread_count": 4}}
    live = await notify(user, "live")
    live_frame = await receive_until(socket, "notification")
    assert live_frame["data"]["id"] == live.id and "replay" not in live_frame
    await socket.disconnect()


async def test_a_notification_created_during_the_replay_arrives_exactly_once(user, monkeypatch):
    from notifications import consumers

    first = await notify(user, "before")
    original = consumers.notifications_after
    created = []

    def replay_and_create_one_midway(**kwargs):
        batch = original(**kwargs)
        if not created:
            created.append(services.notify(user=user, type="income_received", title="during", message="x"))
        return batch

    monkeypatch.setattr(consumers, "notifications_after", replay_and_create_one_midway)
    socket = await open_socket(f"token={token_for(user)}&since=0&unread_count=1")
    ids = []
    while len(ids) < 2:
        message = await receive(socket)
        if message["type"] == "notification":
            ids.append(message["data"]["id"])
    assert ids == [first.id, created[0].id]
    assert await receive(socket) == {"type": "unread_count", "data": {"unread_count": 2}}
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_ping_mark_read_and_mark_all_read(user, other_user):
    mine = await notify(user)
    theirs = await notify(other_user)
    socket = await open_socket(f"token={token_for(user)}&unread_count=1")
    await receive(socket)

    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}

    await socket.send_json_to({"type": "mark_read", "id": theirs.id})
    assert (await receive(socket))["error"] == "not_found"
    await sync_to_async(theirs.refresh_from_db)()
    assert theirs.is_read is False

    await socket.send_json_to({"type": "mark_read", "id": mine.id})
    assert await receive(socket) == {"type": "unread_count", "data": {"unread_count": 0}}

    await notify(user)
    await receive_until(socket, "unread_count")
    await socket.send_json_to({"type": "mark_all_read"})
    replies = {(m := await receive(socket))["type"]: m for _ in range(2)}
    assert replies["marked_all_read"]["data"] == {"marked": 1}
    assert replies["unread_count"]["data"] == {"unread_count": 0}
    await socket.disconnect()


async def test_rest_changes_reach_every_open_device(user):
    phone = await open_socket(f"token={token_for(user)}&unread_count=1")
    laptop = await open_socket(f"token={token_for(user)}&unread_count=1")
    await receive(phone), await receive(laptop)
    created = await notify(user)
    for device in (phone, laptop):
        assert (await receive(device))["data"]["id"] == created.id
        await receive(device)
    await sync_to_async(services.notification_mark_read)(notification=created)
    for device in (phone, laptop):
        assert await receive(device) == {"type": "unread_count", "data": {"unread_count": 0}}
        await device.disconnect()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ({"text_data": "not json"}, "invalid_json"),
        ({"text_data": "[1, 2]"}, "invalid_message"),
        ({"text_data": json.dumps({"type": "dance"})}, "unknown_type"),
        ({"text_data": json.dumps({"type": "mark_read", "id": "7"})}, "invalid_id"),
        ({"bytes_data": b"\x00\x01"}, "binary_not_supported"),
        ({"text_data": "x" * 1_000_000}, "frame_too_large"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(user, frame, error):
    socket = await open_socket(f"token={token_for(user)}&unread_count=1")
    await receive(socket)
    await socket.send_to(**frame)
    reply = await receive(socket)
    assert reply["type"] == "error" and reply["error"] == error and reply["message"]
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await socket.disconnect()


@pytest.mark.parametrize("since", ["abc", "-5"])
async def test_a_bad_since_is_reported_and_nothing_replayed(user, since):
    await notify(user)
    socket = await open_socket(f"token={token_for(user)}&since={since}&unread_count=1")
    reply = await receive(socket)
    assert reply["error"] == "invalid_since"
    assert await receive(socket) == {"type": "unread_count", "data": {"unread_count": 1}}
    await socket.disconnect()


async def test_since_another_users_id_replays_only_my_own(user, other_user):
    theirs = await notify(other_user)
    mine = await notify(user)
    socket = await open_socket(f"token={token_for(user)}&since={theirs.id - 1}&unread_count=1")
    message = await receive(socket)
    assert message["data"]["id"] == mine.id
    assert (await receive(socket))["type"] == "unread_count"
    await socket.disconnect()


async def test_a_lost_push_is_healed_by_the_next_one(user, monkeypatch):
    socket = await open_socket(f"token={token_for(user)}&unread_count=1")
    await receive(socket)
    original_push = services._push
    monkeypatch.setattr(services, "_push", lambda user_id, message: None)  # the channel layer drops this one
    lost = await notify(user, "lost in transit")
    monkeypatch.setattr(services, "_push", original_push)
    assert await socket.receive_nothing(timeout=0.3)
    healed = await notify(user, "next one")
    first, second = await receive(socket), await receive(socket)
    assert [first["data"]["id"], second["data"]["id"]] == [lost.id, healed.id]
    assert await receive(socket) == {"type": "unread_count", "data": {"unread_count": 2}}
    await socket.disconnect()


async def test_connecting_without_since_replays_nothing_old(user):
    await notify(user, "old news")
    socket = await open_socket(f"token={token_for(user)}&unread_count=1")
    assert (await receive(socket))["type"] == "unread_count"
    fresh = await notify(user, "fresh")
    assert (await receive(socket))["data"]["id"] == fresh.id
    await socket.disconnect()
