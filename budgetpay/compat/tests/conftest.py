"""The compatibility API's tests: switched on, and clients that speak to it the way the
original web client does."""

import pytest
from rest_framework.test import APIClient

from budgetpay.compat.auth import CompatAccessToken

API = "/compat/v0/api/v1"


@pytest.fixture(autouse=True)
def compat_api_on(settings) -> None:
    settings.COMPAT_ORIGINAL_API = True


def compat_client_for(user) -> APIClient:
    """A client holding one of `user`'s compat access tokens, as the original client would."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {CompatAccessToken.for_user(user)}")
    return client


@pytest.fixture
def compat_client(user) -> APIClient:
    return compat_client_for(user)


@pytest.fixture
def other_compat_client(other_user) -> APIClient:
    return compat_client_for(other_user)
