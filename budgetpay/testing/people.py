"""People in tests: the one test password, users, and clients signed in as one of them,
for the API (a bearer token) and for the pages (a session)."""

from django.test import Client
from rest_framework.test import APIClient

from users.models import User
from users.services import tokens_for_user

TEST_PASSWORD = "correct-horse-battery-staple-42"


def make_user(email: str = "ada@example.com", **extra: object) -> User:
    extra.setdefault("full_name", "Ada Lovelace")
    return User.objects.create_user(email=email, password=TEST_PASSWORD, **extra)


def access_token_for(user: User) -> str:
    return tokens_for_user(user=user)["access"]


def client_for(user: User) -> APIClient:
    """An API client that sends `user`'s access token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client


def page_client_for(user: User) -> Client:
    """A browser-like client signed in to the pages as `user`."""
    client = Client()
    client.force_login(user)
    return client
