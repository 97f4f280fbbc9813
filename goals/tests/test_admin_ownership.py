"""The goal admin refuses a goal saving into another person's account, as the API does."""

from functools import partial

import pytest

from budgetpay.testing.admin import assert_admin_refuses_another_persons, refused
from goals.models import OWN_ACCOUNT_REQUIRED, Goal
from goals.services import goal_create, goal_update
from transactions.models import Account

pytestmark = pytest.mark.django_db


def goal_form(owner, account, **fields) -> dict:
    """The admin's goal form with its (empty) inline of entries."""
    return {
        "user": owner.pk,
        "name": "Boat",
        "target_amount": "900.00",
        "target_date": "",
        "account": account.pk,
        "entries-TOTAL_FORMS": "0",
        "entries-INITIAL_FORMS": "0",
        "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "1000",
        **fields,
    }


@pytest.fixture
def accounts(user, other_user) -> tuple[Account, Account]:
    return Account.objects.get(user=user), Account.objects.get(user=other_user)


def test_admin_cannot_add_or_change_a_goal_onto_another_persons_account(admin_client, user, accounts):
    own, graces = accounts
    goal = goal_create(user=user, name="Boat", target_amount="900.00", account=own)
    assert_admin_refuses_another_persons(
        admin_client,
        goal,
        field="account",
        message=OWN_ACCOUNT_REQUIRED,
        form=partial(goal_form, user),
        foreign=graces,
        change={"name": "Sailing boat"},
    )


def test_the_services_refuse_the_same_with_the_same_message(user, accounts):
    own, graces = accounts
    with refused("account", OWN_ACCOUNT_REQUIRED):
        goal_create(user=user, name="Boat", target_amount="900.00", account=graces)
    goal = goal_create(user=user, name="Boat", target_amount="900.00", account=own)
    with refused("account", OWN_ACCOUNT_REQUIRED):
        goal_update(goal=goal, account=graces)
    assert Goal.objects.get().account == own
