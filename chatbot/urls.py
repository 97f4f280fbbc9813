"""The assistant's pages (the API is in api_urls.py, the socket in routing.py)."""

from django.urls import path

from chatbot import pages

app_name = "chatbot"

urlpatterns = [
    path("chat/", pages.chat_page, name="chat"),
    path("chat/<int:pk>/", pages.chat_page, name="conversation"),
    path("chat/actions/<int:pk>/confirm/", pages.chat_action_page, {"decision": "confirm"}, name="action-confirm"),
    path("chat/actions/<int:pk>/cancel/", pages.chat_action_page, {"decision": "cancel"}, name="action-cancel"),
]
