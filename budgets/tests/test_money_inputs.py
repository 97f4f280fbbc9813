"""Every amount a person types into the budget form is read by the one money parser
(budgetpay.money, issue 12 item 13): it refuses "1e3" and "０１２" with the parser's message
(Decimal() would read them as 1000 and 12), and keeps the limits and messages of the pages."""

import pytest

from budgets.models import Budget

pytestmark = pytest.mark.django_db

DIGITS_MESSAGE = "Write the amount with the digits 0 to 9, such as 12.50."
EXPONENT_MESSAGE = "Write the amount as a plain number such as 100000.00, without an exponent."
NOT_PLAIN = [("1e3", EXPONENT_MESSAGE), ("０１２", DIGITS_MESSAGE)]


def assert_form_refused(response, field: str, message: str) -> None:
    assert response.status_code == 200, response.get("Location")
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()


@pytest.mark.parametrize(("amount", "message"), NOT_PLAIN)
def test_the_budget_form_refuses_amounts_that_are_not_plain(page_client, amount, message):
    budget = {"category": "", "amount": amount, "period": "monthly", "thresholds": "80, 100"}
    assert_form_refused(page_client.post("/budgets/new/", budget), "amount", message)
    assert not Budget.objects.exists()


def test_the_budget_form_keeps_its_amount_limits_and_messages(page_client):
    budget = {"category": "", "amount": "0", "period": "monthly", "thresholds": "80"}
    assert_form_refused(page_client.post("/budgets/new/", budget), "amount", "Enter an amount above zero.")
    assert_form_refused(page_client.post("/budgets/new/", {**budget, "amount": "1.234"}), "amount", "Use at most 2 decimal places.")
    assert not Budget.objects.exists()
