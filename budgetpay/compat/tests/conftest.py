"""The compatibility API's tests: switched on, and clients that speak to it the way the
original web client does."""

import pytest
from rest_framework.test import APIClient

from budgetpay.testing.compat import compat_client_for


@pytest.fixture(autouse=True)
def compat_api_on(settings) -> None:
    settings.COMPAT_ORIGINAL_API = True


@pytest.fixture
def compat_client(user) -> APIClient:
    return compat_client_for(user)


@pytest.fixture
def other_compat_client(other_user) -> APIClient:
    return compat_client_for(other_user)
