from django.urls import path

from users import pages, views

urlpatterns = [
    path("chat/", pages.chat_page, name="chat"),
    path("chat/<int:pk>/", pages.chat_page, name="chat-conversation"),
    path("chat/actions/<int:pk>/confirm/", pages.chat_action_page, {"decision": "confirm"}, name="page-chat-action-confirm"),
    path("chat/actions/<int:pk>/cancel/", pages.chat_action_page, {"decision": "cancel"}, name="page-chat-action-cancel"),
    path("account/profile/", views.profile, name="profile"),
    path("account/check-settings/", views.locale_settings_check, name="locale-settings-check"),
    path("account/api/", pages.api_access_page, name="api-access"),
]
