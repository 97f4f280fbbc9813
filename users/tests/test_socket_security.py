"""Sockets end with what they signed in with (issue 12, items 5 and 6, socket side),
through the whole ASGI stack with channels' WebsocketCommunicator: logout, a password
change, deactivation and deletion close them on the spot, the periodic re-check closes
them when that message is lost, and the groups that carry these control messages
never carry notifications."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from budgetpay.asgi import application
from budgetpay.sockets import user_group
from budgetpay.testing.people import TEST_PASSWORD, page_client_for
from budgetpay.websocket import socket_control_group
from notifications import services
from notifications.models import Notification
from users import socket_receivers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

NOTIFICATIONS = "/api/v1/notification/ws"
CHAT = "/api/v1/chatbot/ws"
NEW_PASSWORD = "a-brand-new-long-password-77"


async def signed_in_browser(user) -> Client:
    return await sync_to_async(page_client_for)(user)


def browser_headers(client: Client) -> list[tuple[bytes, bytes]]:
    """What a page of ours sends with its handshake: the cookie, its origin, the Host."""
    return [
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
    ]


async def open_socket(
    path: str = NOTIFICATIONS, *, query: str = "", headers: list | None = None
) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"{path}?{query}" if query else path, headers=headers or [])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def open_live(path: str = NOTIFICATIONS, *, query: str = "", **kwargs) -> WebsocketCommunicator:
    """A socket past its first frame (unread_count, opted in with its flag, or the chat's ready)."""
    if path == NOTIFICATIONS:
        query = f"{query}&unread_count=1" if query else "unread_count=1"
    socket = await open_socket(path, query=query, **kwargs)
    first = json.loads(await socket.receive_from(timeout=3))
    assert first["type"] in ("unread_count", "ready"), first
    return socket


async def closed_with(socket: WebsocketCommunicator, timeout: float = 3) -> tuple[int, str]:
    """Skip data frames until the close; its (code, reason)."""
    while True:
        output = await socket.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output["code"], output.get("reason", "")


async def still_open(socket: WebsocketCommunicator) -> bool:
    await socket.send_to(text_data=json.dumps({"type": "ping"}))
    return json.loads(await socket.receive_from(timeout=3)) == {"type": "pong"}


@sync_to_async
def notify(user, title: str = "Hello") -> Notification:
    return services.notify(user=user, type=Notification.Type.INCOME_RECEIVED, title=title, message="Body")


async def test_an_access_token_from_before_a_password_change_is_refused(user):
    token = str(AccessToken.for_user(user))
    user.set_password(NEW_PASSWORD)
    await sync_to_async(user.save)()
    socket = await open_socket(query=f"token={token}")
    assert await closed_with(socket) == (4001, "token revoked by a password change: sign in again")


async def test_logout_closes_that_sessions_sockets_and_no_other(user):
    laptop, phone = await signed_in_browser(user), await signed_in_browser(user)
    laptop_bell = await open_live(headers=browser_headers(laptop))
    laptop_chat = await open_live(CHAT, headers=browser_headers(laptop))
    phone_bell = await open_live(headers=browser_headers(phone))

    response = await sync_to_async(laptop.post)("/accounts/logout/")
    assert response.status_code == 302

    assert await closed_with(laptop_bell) == (4001, "signed out: sign in again")
    assert await closed_with(laptop_chat) == (4001, "signed out: sign in again")
    assert await still_open(phone_bell)
    await notify(user, "after logout")
    assert json.loads(await phone_bell.receive_from(timeout=3))["data"]["title"] == "after logout"
    assert await laptop_bell.receive_nothing(timeout=0.3)
    await phone_bell.disconnect()


async def test_a_closed_socket_handles_nothing_more(user):
    """Between the server's close and the client's answer, a frame or a push reaches no handler.

    The frame is sent once the close is out: sent earlier, it may legitimately be handled
    first, since the logout reaches the socket through the channel layer (Redis in CI)."""
    browser = await signed_in_browser(user)
    bell = await open_live(headers=browser_headers(browser))
    await sync_to_async(browser.post)("/accounts/logout/")
    assert await closed_with(bell) == (4001, "signed out: sign in again")
    await bell.send_to(text_data=json.dumps({"type": "mark_all_read"}))
    await notify(user, "not for a closed socket")
    assert await bell.receive_nothing(timeout=0.3)
    assert await sync_to_async(Notification.objects.filter(user=user, is_read=False).count)() == 1


async def test_a_password_change_closes_older_sockets_and_the_changing_tab_gets_back_in(user):
    changing_tab, other_device = await signed_in_browser(user), await signed_in_browser(user)
    token = str(AccessToken.for_user(user))
    tab_bell = await open_live(headers=browser_headers(changing_tab))
    other_bell = await open_live(headers=browser_headers(other_device))
    app_socket = await open_live(query=f"token={token}")
    app_chat = await open_live(CHAT, query=f"token={token}")

    response = await sync_to_async(changing_tab.post)(
        "/accounts/password/change/",
        {"oldpassword": TEST_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content

    for socket in (tab_bell, other_bell, app_socket, app_chat):
        assert await closed_with(socket) == (4005, "password changed: reconnect")
    # Each reconnects, as the bell does on 4005: the changing tab's session was kept valid
    # by update_session_auth_hash; the other session and the old token are not.
    tab_bell = await open_live(headers=browser_headers(changing_tab))
    assert await still_open(tab_bell)
    assert await closed_with(await open_socket(headers=browser_headers(other_device))) == (
        4001,
        "authentication required: pass ?token=<access JWT>",
    )
    assert await closed_with(await open_socket(query=f"token={token}")) == (
        4001,
        "token revoked by a password change: sign in again",
    )
    # A socket opened after the change is not closed by it.
    await sync_to_async(socket_receivers.close_sockets_on_credentials_changed)(
        sender=None, user=user, changed_at=user.date_joined
    )
    assert await still_open(tab_bell)
    await tab_bell.disconnect()


async def test_a_socket_handshake_never_deletes_a_session(user):
    """A stale session is refused, not flushed: a handshake racing the password change
    (before update_session_auth_hash saved the new hash) must not sign that tab out."""
    browser = await signed_in_browser(user)
    session_key = browser.cookies["sessionid"].value
    user.set_password(NEW_PASSWORD)
    await sync_to_async(user.save)()
    socket = await open_socket(headers=browser_headers(browser))
    assert (await closed_with(socket))[0] == 4001
    assert await sync_to_async(Session.objects.filter(session_key=session_key).exists)()


async def test_deactivation_closes_all_of_the_persons_sockets_with_4003(user, other_user):
    browser = await signed_in_browser(user)
    bell = await open_live(headers=browser_headers(browser))
    chat = await open_live(CHAT, query=f"token={AccessToken.for_user(user)}")
    bystander = await open_live(query=f"token={AccessToken.for_user(other_user)}")

    user.is_active = False
    await sync_to_async(user.save)()

    assert await closed_with(bell) == (4003, "account disabled")
    assert await closed_with(chat) == (4003, "account disabled")
    assert await still_open(bystander)
    await bystander.disconnect()


async def test_deleting_the_account_closes_its_sockets(user):
    socket = await open_live(query=f"token={AccessToken.for_user(user)}")
    await sync_to_async(user.delete)()
    assert await closed_with(socket) == (4001, "signed out: sign in again")


@pytest.fixture
def lost_control_messages(monkeypatch, settings):
    """Every close message is lost (Redis was down when it was sent); re-checks are quick."""
    monkeypatch.setattr("budgetpay.websocket._send_to_group", lambda group, message: None)
    settings.WEBSOCKET_RECHECK_SECONDS = 0.2


async def test_the_recheck_closes_a_session_socket_after_a_lost_logout(user, lost_control_messages):
    browser = await signed_in_browser(user)
    bell = await open_live(headers=browser_headers(browser))
    await sync_to_async(browser.post)("/accounts/logout/")
    assert await closed_with(bell) == (4001, "signed out: sign in again")


async def test_the_recheck_closes_sockets_after_a_lost_password_change(user, lost_control_messages):
    other_device = await signed_in_browser(user)
    bell = await open_live(headers=browser_headers(other_device))
    app_socket = await open_live(query=f"token={AccessToken.for_user(user)}")
    user.set_password(NEW_PASSWORD)
    await sync_to_async(user.save)()
    assert await closed_with(bell) == (4001, "signed out: sign in again")
    assert await closed_with(app_socket) == (4001, "token revoked by a password change: sign in again")


async def test_the_recheck_closes_sockets_after_a_lost_deactivation(user, lost_control_messages):
    browser = await signed_in_browser(user)
    bell = await open_live(headers=browser_headers(browser))
    chat = await open_live(CHAT, query=f"token={AccessToken.for_user(user)}")
    await sync_to_async(type(user).objects.filter(pk=user.pk).update)(is_active=False)  # not even a post_save
    assert await closed_with(bell) == (4003, "account disabled")
    assert await closed_with(chat) == (4003, "account disabled")


async def test_the_recheck_leaves_valid_sockets_open(user, lost_control_messages):
    browser = await signed_in_browser(user)
    bell = await open_live(headers=browser_headers(browser))
    app_socket = await open_live(query=f"token={AccessToken.for_user(user)}")
    assert await bell.receive_nothing(timeout=1)  # about five re-checks
    assert await still_open(bell) and await still_open(app_socket)
    await bell.disconnect()
    await app_socket.disconnect()


async def test_control_groups_carry_no_notifications(user):
    """The chat socket is in the person's control group only: a notification never
    reaches it, and the bell gets each notification once."""
    assert socket_control_group(user.pk) != user_group(user.pk)
    chat = await open_live(CHAT, query=f"token={AccessToken.for_user(user)}")
    bell = await open_live(query=f"token={AccessToken.for_user(user)}")
    created = await notify(user, "for the bell")
    frames = [json.loads(await bell.receive_from(timeout=3)) for _ in range(2)]
    assert [frame["type"] for frame in frames] == ["notification", "unread_count"]
    assert frames[0]["data"]["id"] == created.id
    assert await bell.receive_nothing(timeout=0.3)
    assert await chat.receive_nothing(timeout=0.3)
    assert await still_open(chat)
    await chat.disconnect()
    await bell.disconnect()


async def test_a_password_change_while_a_socket_is_joining_still_closes_it(user, monkeypatch):
    """The change commits after the handshake read the session but before the socket joined
    the groups its close message goes to: the check after joining closes it."""
    from budgetpay.websocket import AuthenticatedJsonConsumer

    browser = await signed_in_browser(user)
    join = AuthenticatedJsonConsumer._join_socket_control

    async def change_password_then_join(self, user_id):
        changed = await sync_to_async(type(user).objects.get)(pk=user_id)
        changed.set_password(NEW_PASSWORD)
        await sync_to_async(changed.save)()
        return await join(self, user_id)

    monkeypatch.setattr(AuthenticatedJsonConsumer, "_join_socket_control", change_password_then_join)
    bell = await open_socket(headers=browser_headers(browser))
    code, _ = await closed_with(bell)
    assert code == 4001
