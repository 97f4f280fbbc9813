"""The WebSocket origin check (issue 12, item 13): a browser page may open a socket
with our cookies only from this server's own origin (scheme, host and port) or one
listed in CSRF_TRUSTED_ORIGINS; a client that sends no Origin is not a browser."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from budgetpay.asgi import application
from budgetpay.origin import origin_allowed
from budgetpay.testing.servers import http_json

WS = "/api/v1/notification/ws"


@pytest.mark.parametrize(
    ("origin", "host", "secure", "allowed"),
    [
        ("http://localhost:8000", "localhost:8000", False, True),
        ("http://localhost:6666", "localhost:8000", False, False),  # same host, another port
        ("http://localhost", "localhost:8000", False, False),
        ("http://localhost:8000", "localhost", False, False),
        ("https://localhost:8000", "localhost:8000", False, False),  # another scheme
        ("http://localhost:8000", "localhost:8000", True, False),
        ("https://budget.example", "budget.example", True, True),
        ("HTTP://LocalHost:8000", "localhost:8000", False, True),  # hosts are not case-sensitive
        ("http://evil.example:8000", "evil.example:8000", False, False),  # a Host outside ALLOWED_HOSTS
        ("null", "localhost:8000", False, False),
        ("http://localhost:8000", None, False, False),
        ("https://app.partner.example", "localhost:8000", False, True),  # CSRF_TRUSTED_ORIGINS, exactly
        ("https://app.partner.example:444", "localhost:8000", False, False),
        ("https://eu.wild.example", "localhost:8000", False, True),  # a *.wild.example pattern
        ("http://eu.wild.example", "localhost:8000", False, False),
        ("https://evilwild.example", "localhost:8000", False, False),
    ],
)
def test_origin_allowed(settings, origin, host, secure, allowed):
    settings.ALLOWED_HOSTS = ["localhost", "budget.example"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.partner.example", "https://*.wild.example"]
    assert origin_allowed(origin=origin, host=host, secure=secure) is allowed


async def handshake(headers: list[tuple[bytes, bytes]], query: str = "") -> bool:
    communicator = WebsocketCommunicator(application, f"{WS}?{query}" if query else WS, headers=headers)
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_page_on_another_port_cannot_use_the_session_cookie(user, client):
    await sync_to_async(client.force_login)(user)
    cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
    assert not await handshake([cookie, (b"host", b"localhost:8000"), (b"origin", b"http://localhost:6666")])
    assert await handshake([cookie, (b"host", b"localhost:8000"), (b"origin", b"http://localhost:8000")])


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_behind_a_tls_proxy_the_https_origin_is_our_own(user, client):
    await sync_to_async(client.force_login)(user)
    cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
    proxied = [cookie, (b"host", b"localhost"), (b"x-forwarded-proto", b"https")]
    assert await handshake([*proxied, (b"origin", b"https://localhost")])
    assert not await handshake([*proxied, (b"origin", b"http://localhost")])


@pytest.mark.e2e
def test_a_real_server_refuses_a_page_on_another_port(daphne_server):
    """Against Daphne on 127.0.0.1:<port>: a page on localhost:6666 is refused with 403 at
    the handshake; our own origin and a client without Origin (a phone) get in."""
    status, tokens = http_json(
        daphne_server.url,
        "POST",
        "/api/v1/auth/register",
        {"email": "origin@example.com", "password": "origin-long-password-19"},
    )
    assert status == 201, tokens
    url = f"{daphne_server.ws_url}{WS}?token={tokens['access']}&unread_count=1"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin="http://localhost:6666", open_timeout=10)
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        connect(url, origin=f"http://localhost:{daphne_server.port + 1}", open_timeout=10)
    for origin in (f"http://127.0.0.1:{daphne_server.port}", None):
        with connect(url, origin=origin, open_timeout=10) as socket:
            assert json.loads(socket.recv(timeout=10))["type"] == "unread_count"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_forwarded_host_counts_only_where_django_trusts_it(user, client, settings):
    """As request.get_host(): X-Forwarded-Host names our origin only with USE_X_FORWARDED_HOST."""
    await sync_to_async(client.force_login)(user)
    cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
    proxied = [
        cookie,
        (b"host", b"localhost"),
        (b"x-forwarded-host", b"localhost:8080"),
        (b"origin", b"http://localhost:8080"),
    ]
    assert not await handshake(proxied)
    settings.USE_X_FORWARDED_HOST = True
    assert await handshake(proxied)
