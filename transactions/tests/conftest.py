"""Fixtures for the transactions tests, on top of the root conftest's users and clients."""

import pytest
from rest_framework.test import APIClient

from transactions.models import Account, Category
from users.services import tokens_for_user


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=user)['access']}")
    return client


@pytest.fixture
def other_client(other_user) -> APIClient:
    return client_for(other_user)


@pytest.fixture
def main_account(user) -> Account:
    """The account every new user starts with."""
    return Account.objects.get(user=user, name="Main account")


@pytest.fixture
def food(user) -> Category:
    return Category.objects.get(user=user, name="Food", kind=Category.Kind.EXPENSE)


@pytest.fixture
def salary(user) -> Category:
    return Category.objects.get(user=user, name="Salary", kind=Category.Kind.INCOME)
