"""WebSocket routes. Each app that serves a socket adds its patterns here."""

from chatbot.routing import websocket_urlpatterns as chatbot_routes
from notifications.routing import websocket_urlpatterns as notification_routes

websocket_urlpatterns = [*notification_routes, *chatbot_routes]
