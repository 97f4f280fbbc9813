from django.urls import re_path

from notifications.consumers import NotificationConsumer

websocket_urlpatterns = [
    re_path(r"^api/v1/notification/ws/?$", NotificationConsumer.as_asgi()),
]
