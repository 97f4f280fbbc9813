"""WebSocket routes. Each app that serves a socket adds its patterns here.

The last route catches every other path: without it channels' URLRouter raises
"No route found", which Daphne logs as a traceback and answers with HTTP 500 (the
EnhanceFund setup guide's `ws/notifications/` is such a path; its paths are not ours).
"""

from django.urls import re_path

from budgetpay.sockets import accept_then_close
from chatbot.routing import websocket_urlpatterns as chatbot_routes
from notifications.routing import websocket_urlpatterns as notification_routes

# Accepted, then closed with this code and reason: a browser sees nothing of an HTTP
# refusal (only 1006), but it does see a close code and its reason.
NOT_FOUND_CLOSE_CODE = 4404
NOT_FOUND_REASON = "no socket at this path: the sockets are /api/v1/notification/ws and /api/v1/chatbot/ws"


async def unrouted_socket(scope, receive, send) -> None:
    """The ASGI answer for a socket path no app serves. It touches neither the channel
    layer nor the database, so it answers the same with Redis down."""
    await accept_then_close(receive, send, NOT_FOUND_CLOSE_CODE, NOT_FOUND_REASON)


websocket_urlpatterns = [*notification_routes, *chatbot_routes, re_path(r"", unrouted_socket)]
