"""The goals' pages with Django's test client: a goal created, money put in and taken out
through the goals' services, whose refusals land next to the fields."""

import pytest

from budgetpay.periods import user_today
from goals.models import Goal, GoalEntry

pytestmark = pytest.mark.django_db


def test_goals_are_created_and_money_added_without_going_below_zero(page_client, user):
    missing = page_client.post("/goals/new/", {"name": "", "target_amount": "1000"})
    assert missing.context["form"].errors["name"] == ["This field is required."]
    assert 'value="1000"' in missing.content.decode()
    page_client.post("/goals/new/", {"name": "Bike", "target_amount": "1000"})
    goal = Goal.objects.get()

    today = user_today(user).isoformat()
    added = page_client.post(f"/goals/{goal.pk}/money/", {"kind": "contribution", "amount": "250", "date": today})
    assert added.status_code == 302
    too_much = page_client.post(
        f"/goals/{goal.pk}/money/", {"kind": "withdrawal", "amount": "300", "date": today, "note": "oops"}
    )
    assert too_much.status_code == 200
    assert "a withdrawal cannot take it below zero" in too_much.context["form"].errors["amount"][0]
    assert 'value="oops"' in too_much.content.decode()
    assert GoalEntry.objects.count() == 1
    assert "$250.00" in page_client.get("/goals/").content.decode()
