"""The notifications' pages (the API is in api_urls.py, the socket in routing.py)."""

from django.urls import path

from notifications import pages

app_name = "notifications"

urlpatterns = [
    path("notifications/", pages.notification_list_page, name="list"),
    path("notifications/panel/", pages.notification_panel, name="panel"),
    path("notifications/<int:pk>/read/", pages.notification_read, name="read"),
    path("notifications/read-all/", pages.notification_read_all, name="read-all"),
    path("account/notifications/", pages.notification_preferences_page, name="preferences"),
    path("notifications/unsubscribe/<str:token>/", pages.email_unsubscribe_page, name="unsubscribe"),
]
