"""One ASGI application for HTTP and WebSocket, served by Daphne."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "budgetpay.settings")

# Django must be set up before anything imports models (what get_asgi_application() does).
django.setup(set_prefix=False)

from budgetpay.asgi_handler import SyncChainASGIHandler  # noqa: E402

django_asgi_app = SyncChainASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from budgetpay.jobs import start_in_process  # noqa: E402
from budgetpay.origin import SameOriginWebSocketValidator  # noqa: E402
from budgetpay.routing import websocket_urlpatterns  # noqa: E402
from budgetpay.runtime import settle_garbage_collector  # noqa: E402
from budgetpay.websocket_server import install_closing_websocket_protocol  # noqa: E402
from users.socket_auth import JWTAuthMiddleware  # noqa: E402

# Sockets: a browser page of another origin is refused at the handshake; the session
# is loaded (not verified: JWTAuthMiddleware authenticates a token or the session
# itself, and never flushes a session the way channels' AuthMiddleware does).
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginWebSocketValidator(
            SessionMiddlewareStack(JWTAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)

install_closing_websocket_protocol()
settle_garbage_collector()
# No broker (the embedded default): this process runs the jobs and schedules itself.
start_in_process()
