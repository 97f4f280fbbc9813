"""The goal admin refuses a goal saving into another person's account, as the API does."""

import pytest
from django.core.exceptions import ValidationError

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
    added = admin_client.post("/admin/goals/goal/add/", goal_form(user, graces))
    assert added.status_code == 200
    assert added.context["adminform"].form.errors["account"] == [OWN_ACCOUNT_REQUIRED]
    assert not Goal.objects.exists()

    goal = goal_create(user=user, name="Boat", target_amount="900.00", account=own)
    changed = admin_client.post(f"/admin/goals/goal/{goal.pk}/change/", goal_form(user, graces))
    assert changed.context["adminform"].form.errors["account"] == [OWN_ACCOUNT_REQUIRED]
    goal.refresh_from_db()
    assert goal.account == own

    kept = admin_client.post(f"/admin/goals/goal/{goal.pk}/change/", goal_form(user, own, name="Sailing boat"))
    assert kept.status_code == 302
    goal.refresh_from_db()
    assert goal.name == "Sailing boat"


def test_the_services_refuse_the_same_with_the_same_message(user, accounts):
    own, graces = accounts
    with pytest.raises(ValidationError) as created:
        goal_create(user=user, name="Boat", target_amount="900.00", account=graces)
    assert created.value.message_dict == {"account": [OWN_ACCOUNT_REQUIRED]}
    goal = goal_create(user=user, name="Boat", target_amount="900.00", account=own)
    with pytest.raises(ValidationError) as updated:
        goal_update(goal=goal, account=graces)
    assert updated.value.message_dict == {"account": [OWN_ACCOUNT_REQUIRED]}
    assert Goal.objects.get().account == own
