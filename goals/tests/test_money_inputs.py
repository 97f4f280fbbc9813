"""Every amount a person types into the goals' pages is read by the one money parser
(budgetpay.money, issue 12 item 13): the goal and money forms refuse "1e3" and "０１２" with
the parser's message (Decimal() would read them as 1000 and 12)."""

from decimal import Decimal

import pytest

from budgetpay.testing.amounts import NOT_PLAIN, assert_form_refused
from goals.models import Goal, GoalEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("amount", "message"), NOT_PLAIN)
def test_the_goal_forms_refuse_amounts_that_are_not_plain(page_client, amount, message):
    goal = {"name": "Bike", "target_amount": amount}
    assert_form_refused(page_client.post("/goals/new/", goal), "target_amount", message)
    assert page_client.post("/goals/new/", {**goal, "target_amount": "500"}).status_code == 302
    created = Goal.objects.get()
    assert created.target_amount == Decimal("500.00")

    entry = {"kind": "contribution", "amount": amount, "date": "2026-01-10"}
    assert_form_refused(page_client.post(f"/goals/{created.pk}/money/", entry), "amount", message)
    assert not GoalEntry.objects.exists()
