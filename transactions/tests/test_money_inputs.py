"""Every amount a person types into the ledger is read by the one money parser (budgetpay.money,
issue 12 item 13): the transaction and account forms, like the transaction list's filters in the
API, refuse "1e3" and "０１２" with the parser's message (Decimal() would read them as 1000 and 12)."""

from decimal import Decimal

import pytest

from budgetpay.testing.amounts import NOT_PLAIN, assert_form_refused
from budgetpay.testing.factories import make_account, make_transaction
from transactions.models import Account, Transaction

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("amount", "message"), NOT_PLAIN)
def test_transaction_forms_refuse_amounts_that_are_not_plain(page_client, user, main_account, amount, message):
    main = main_account
    savings = make_account(user, name="Savings")
    expense = {"kind": "expense", "amount": amount, "date": "2026-01-10", "account": main.pk}
    assert_form_refused(page_client.post("/transactions/new/", expense), "amount", message)
    transfer = {**expense, "kind": "transfer", "transfer_account": savings.pk}
    assert_form_refused(page_client.post("/transactions/new/", transfer), "amount", message)
    quick = {f"quick-{name}": value for name, value in expense.items()}
    assert_form_refused(page_client.post("/", quick), "amount", message)
    assert not Transaction.objects.exists()

    tx = make_transaction(main, amount="10.00", description="Lunch")
    assert_form_refused(page_client.post(f"/transactions/{tx.pk}/edit/", expense), "amount", message)
    tx.refresh_from_db()
    assert tx.amount == Decimal("10.00")


@pytest.mark.parametrize(("amount", "message"), NOT_PLAIN)
def test_the_account_form_refuses_an_opening_balance_that_is_not_plain(
    page_client, user, main_account, amount, message
):
    account = {"name": "Travel card", "kind": "card", "currency": "EUR", "opening_balance": amount}
    assert_form_refused(page_client.post("/ledger/accounts/new/", account), "opening_balance", message)
    assert not Account.objects.filter(name="Travel card").exists()
    main = main_account
    edit = {"name": main.name, "kind": main.kind, "currency": main.currency, "opening_balance": amount}
    assert_form_refused(page_client.post(f"/ledger/accounts/{main.pk}/edit/", edit), "opening_balance", message)
    main.refresh_from_db()
    assert main.opening_balance == Decimal("0.00")


@pytest.mark.parametrize(("amount", "message"), NOT_PLAIN)
def test_the_transaction_list_filters_read_amounts_as_the_forms_do(auth_client, amount, message):
    for name in ("amount_min", "amount_max"):
        response = auth_client.get(f"/api/v1/transactions?{name}={amount}")
        assert response.status_code == 400, response.json()
        assert response.json()["errors"] == {name: [message]}
