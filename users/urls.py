from django.urls import path

from users import pages, views

urlpatterns = [
    path("notifications/", pages.notification_list_page, name="notifications"),
    path("notifications/panel/", pages.notification_panel, name="notification-panel"),
    path("notifications/<int:pk>/read/", pages.notification_read, name="page-notification-read"),
    path("notifications/read-all/", pages.notification_read_all, name="page-notification-read-all"),
    path("chat/", pages.chat_page, name="chat"),
    path("chat/<int:pk>/", pages.chat_page, name="chat-conversation"),
    path("chat/actions/<int:pk>/confirm/", pages.chat_action_page, {"decision": "confirm"}, name="page-chat-action-confirm"),
    path("chat/actions/<int:pk>/cancel/", pages.chat_action_page, {"decision": "cancel"}, name="page-chat-action-cancel"),
    path("account/profile/", views.profile, name="profile"),
    path("account/check-settings/", views.locale_settings_check, name="locale-settings-check"),
    path("account/notifications/", pages.notification_preferences_page, name="page-notification-preferences"),
    path("account/api/", pages.api_access_page, name="api-access"),
]
