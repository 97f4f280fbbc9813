"""The account pages (the API is in api_urls.py; sign-in, sign-up and the email, password and
connected-account pages are allauth's, under accounts/). Their names are not namespaced:
users.adapters and allauth's settings name them as they are."""

from django.urls import path

from users import pages

urlpatterns = [
    path("account/profile/", pages.profile, name="profile"),
    path("account/check-settings/", pages.locale_settings_check, name="locale-settings-check"),
    path("account/api/", pages.api_access_page, name="api-access"),
]
