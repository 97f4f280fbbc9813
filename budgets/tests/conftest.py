from types import SimpleNamespace

import pytest

from budgets.tests.helpers import client_for
from transactions.models import Category
from transactions.tests.factories import make_account, make_category


@pytest.fixture
def books(user) -> SimpleNamespace:
    """A user's accounts (two in the user's USD, one in EUR) and categories. The names
    avoid the defaults a new user may receive (Food, Shopping, Salary, Main account...)."""
    return SimpleNamespace(
        main=make_account(user, name="Checking", currency="USD"),
        card=make_account(user, name="Credit", currency="USD"),
        euro=make_account(user, name="Euro card", currency="EUR"),
        food=make_category(user, name="Groceries"),
        shopping=make_category(user, name="Gadgets"),
        salary=make_category(user, name="Wages", kind=Category.Kind.INCOME),
    )


@pytest.fixture
def other_client(other_user):
    return client_for(other_user)
