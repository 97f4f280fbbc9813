"""One ASGI application for HTTP and WebSocket, served by Daphne."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "budgetpay.settings")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from budgetpay.routing import websocket_urlpatterns  # noqa: E402
from users.websocket import JWTAuthMiddleware, allowed_hosts_origin_validator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": allowed_hosts_origin_validator(
            AuthMiddlewareStack(JWTAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)

# The process lives for days and holds thousands of sockets; a full collection that
# walks every object Django loaded at start-up stalled requests and pushes by
# 100-200 ms on a 2-core machine (docs/performance.md). Load the URL conf (and so
# every view module) now, then move what exists to the permanent generation the
# collector skips, and collect the young generation less often so short-lived
# request objects die before they are promoted.
get_resolver().url_patterns  # noqa: B018
gc.freeze()
gc.set_threshold(10_000, 10, 10)
