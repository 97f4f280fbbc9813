"""The compatibility API in tests: where it is mounted, and a client that speaks to it the way
the original web client does."""

from rest_framework.test import APIClient

from budgetpay.compat.auth import CompatAccessToken

API = "/compat/v0/api/v1"


def compat_client_for(user) -> APIClient:
    """A client holding one of `user`'s compat access tokens, as the original client would."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {CompatAccessToken.for_user(user)}")
    return client
