"""Issue 13, item 4: a socket path no app serves (the EnhanceFund setup guide's
`ws/notifications/`, a typo) is refused cleanly, accepted and closed with 4404 and a
reason, never answered with HTTP 500 and a "No route found" traceback in the log."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from budgetpay.asgi import application
from budgetpay.routing import NOT_FOUND_CLOSE_CODE, NOT_FOUND_REASON
from budgetpay.testing.servers import register

NOT_FOUND = {"type": "websocket.close", "code": NOT_FOUND_CLOSE_CODE, "reason": NOT_FOUND_REASON}
UNROUTED = ["/ws/notifications/", "/", "/api/v1/notifications/ws", "/api/v1/notification/ws/extra", "/api/v1/chatbot"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("path", UNROUTED)
async def test_an_unrouted_path_is_closed_with_4404(user, path):
    for query in ("", f"token={AccessToken.for_user(user)}"):
        communicator = WebsocketCommunicator(application, f"{path}?{query}" if query else path)
        connected, _ = await communicator.connect()
        assert connected
        assert await communicator.receive_output(timeout=3) == NOT_FOUND


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_foreign_page_is_still_refused_at_the_handshake_first(user, client):
    await sync_to_async(client.force_login)(user)
    cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
    communicator = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[cookie, (b"origin", b"https://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected


@pytest.mark.e2e
def test_a_real_server_refuses_the_setup_guides_path_without_a_traceback(daphne_server):
    tokens = register(daphne_server.url, "guide@example.com", "guide-long-password-61")
    log_before = daphne_server.log_path.stat().st_size
    for path in ("/ws/notifications/", f"/ws/notifications/?token={tokens['access']}", "/no/such/socket"):
        with connect(f"{daphne_server.ws_url}{path}", open_timeout=10) as socket:
            with pytest.raises(ConnectionClosed) as closed:
                socket.recv(timeout=10)
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (NOT_FOUND_CLOSE_CODE, NOT_FOUND_REASON)
    # The routed socket still works after them.
    with connect(f"{daphne_server.ws_url}/api/v1/notification/ws?token={tokens['access']}", open_timeout=10) as socket:
        socket.send('{"type": "ping"}')
        assert socket.recv(timeout=10) == '{"type":"pong"}'
    with open(daphne_server.log_path, encoding="utf-8", errors="replace") as log:
        log.seek(log_before)
        written = log.read()
    assert "Traceback" not in written and "No route found" not in written and " 500 " not in written, written
