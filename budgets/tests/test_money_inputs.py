"""Every amount a person types into the budget form is read by the one money parser
(budgetpay.money, issue 12 item 13): it refuses "1e3" and "０１２" with the parser's message
(Decimal() would read them as 1000 and 12), and keeps the limits and messages of the pages."""

import pytest

from budgetpay.testing.amounts import NOT_PLAIN, assert_form_refused
from budgets.models import Budget

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("amount", "message"), NOT_PLAIN)
def test_the_budget_form_refuses_amounts_that_are_not_plain(page_client, amount, message):
    budget = {"category": "", "amount": amount, "period": "monthly", "thresholds": "80, 100"}
    assert_form_refused(page_client.post("/budgets/new/", budget), "amount", message)
    assert not Budget.objects.exists()


def test_the_budget_form_keeps_its_amount_limits_and_messages(page_client):
    budget = {"category": "", "amount": "0", "period": "monthly", "thresholds": "80"}
    assert_form_refused(page_client.post("/budgets/new/", budget), "amount", "Enter an amount above zero.")
    assert_form_refused(
        page_client.post("/budgets/new/", {**budget, "amount": "1.234"}), "amount", "Use at most 2 decimal places."
    )
    assert not Budget.objects.exists()
