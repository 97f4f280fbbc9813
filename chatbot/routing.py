from django.urls import re_path

from chatbot.consumers import ChatConsumer

websocket_urlpatterns = [
    re_path(r"^api/v1/chatbot/ws/?$", ChatConsumer.as_asgi()),
]
