"""Issue 13, item 6 (the socket half): a web front-end on an origin listed in
CORS_ALLOWED_ORIGINS may open a socket with its token; the session cookie is never
used from such an origin (a browser attaches it whatever page asks), and every other
origin is still refused at the handshake. Through the whole ASGI stack."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from budgetpay.asgi import application
from budgetpay.origin import cors_origin_allowed

WS = "/api/v1/notification/ws"
CHAT = "/api/v1/chatbot/ws"
FRONT = "https://app.front.example"
CROSS_ORIGIN_SESSION = (
    4001,
    "authentication required: a page on another origin passes ?token=<access JWT>; cookies are not used",
)


@pytest.fixture
def cors_origins(settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.CSRF_TRUSTED_ORIGINS = []
    settings.CORS_ALLOWED_ORIGINS = [FRONT, "http://localhost:3000"]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (FRONT, True),
        ("https://app.front.example:443", True),  # the default port, written out
        ("HTTPS://App.Front.Example", True),
        ("http://localhost:3000", True),
        ("http://app.front.example", False),  # another scheme
        ("https://app.front.example:8443", False),  # another port
        ("http://localhost:3001", False),
        ("http://localhost", False),
        ("https://front.example", False),  # the parent domain
        ("https://evil.app.front.example", False),  # a subdomain: the list is exact
        ("https://app.front.example.evil", False),
        ("https://app.front.example/path", False),  # not an origin
        ("https://user@app.front.example", False),
        ("null", False),
        ("", False),
        ("https://app.front.example:99999", False),
    ],
)
def test_cors_origin_allowed(cors_origins, origin, allowed):
    assert cors_origin_allowed(origin) is allowed


def test_without_the_setting_no_origin_is_a_cors_origin(settings):
    del settings.CORS_ALLOWED_ORIGINS
    assert cors_origin_allowed(FRONT) is False


async def handshake(path: str, query: str, headers: list[tuple[bytes, bytes]]) -> tuple[bool, WebsocketCommunicator]:
    communicator = WebsocketCommunicator(application, f"{path}?{query}" if query else path, headers=headers)
    connected, _ = await communicator.connect()
    return connected, communicator


async def session_cookie(user, client) -> tuple[bytes, bytes]:
    await sync_to_async(client.force_login)(user)
    return b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()


def from_page(origin: str) -> list[tuple[bytes, bytes]]:
    return [(b"origin", origin.encode()), (b"host", b"testserver")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("origin", [FRONT, "http://localhost:3000"])
async def test_a_token_socket_from_a_cors_origin_is_accepted(cors_origins, user, client, origin):
    # The browser sends our cookie too: the token decides, the cookie is ignored.
    cookie = await session_cookie(user, client)
    connected, socket = await handshake(
        WS, f"token={AccessToken.for_user(user)}&unread_count=1", [cookie, *from_page(origin)]
    )
    assert connected
    assert json.loads(await socket.receive_from(timeout=3)) == {"type": "unread_count", "data": {"unread_count": 0}}
    await socket.send_json_to({"type": "ping"})
    assert json.loads(await socket.receive_from(timeout=3)) == {"type": "pong"}
    await socket.disconnect()

    connected, chat = await handshake(CHAT, f"token={AccessToken.for_user(user)}", from_page(origin))
    assert connected
    assert json.loads(await chat.receive_from(timeout=3))["type"] == "ready"
    await chat.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("path", [WS, CHAT])
async def test_a_session_socket_from_a_cors_origin_is_refused(cors_origins, user, client, path):
    cookie = await session_cookie(user, client)
    for query in ("", "token=", "unread_count=1"):
        connected, socket = await handshake(path, query, [cookie, *from_page(FRONT)])
        assert connected  # accepted to be closed with a code a page can read
        closed = await socket.receive_output(timeout=3)  # the close, before any frame
        assert (closed["type"], closed["code"], closed["reason"]) == ("websocket.close", *CROSS_ORIGIN_SESSION)

    # A bad token does not fall back to the cookie either.
    connected, socket = await handshake(path, "token=garbage", [cookie, *from_page(FRONT)])
    assert (await socket.receive_output(timeout=3))["code"] == 4001

    # The same cookie from our own page still signs the socket in.
    connected, own = await handshake(path, "unread_count=1", [cookie, *from_page("http://testserver")])
    assert connected
    assert json.loads(await own.receive_from(timeout=3))["type"] in ("unread_count", "ready")
    await own.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://app.front.example",
        "https://app.front.example:8443",
        "http://localhost:3001",
        "null",
    ],
)
async def test_other_origins_are_refused_at_the_handshake_even_with_a_token(cors_origins, user, origin):
    connected, _ = await handshake(WS, f"token={AccessToken.for_user(user)}", from_page(origin))
    assert not connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_without_the_setting_a_front_end_origin_is_refused(settings, user):
    settings.ALLOWED_HOSTS = ["testserver"]
    del settings.CORS_ALLOWED_ORIGINS
    connected, _ = await handshake(WS, f"token={AccessToken.for_user(user)}", from_page(FRONT))
    assert not connected
