"""What a new user starts with, and what happens to it when the user goes."""

from decimal import Decimal

import pytest

from budgetpay.testing.factories import make_account, make_transaction
from budgetpay.testing.people import TEST_PASSWORD, make_user
from transactions.models import Account, Category, Transaction
from transactions.services import DEFAULT_ACCOUNT_NAME
from users.models import User

pytestmark = pytest.mark.django_db


def test_a_new_user_gets_the_default_categories_and_a_main_account():
    user = make_user("new@example.com", currency="INR")
    expense_shares = dict(Category.objects.filter(user=user, kind="expense").values_list("name", "income_percentage"))
    assert expense_shares == {
        "Food": Decimal("15"),
        "Travel": Decimal("10"),
        "Shopping": Decimal("10"),
        "Misc": Decimal("5"),
        "Housing": Decimal("30"),
    }
    assert sum(expense_shares.values()) == 70  # room for saving and the person's own categories
    income = Category.objects.get(user=user, kind="income")
    assert (income.name, income.income_percentage) == ("Salary", None)
    account = Account.objects.get(user=user)
    assert (account.name, account.kind, account.currency, account.opening_balance) == (
        DEFAULT_ACCOUNT_NAME,
        Account.Kind.BANK,
        "INR",
        Decimal("0"),
    )


def test_registration_through_the_api_gives_a_ledger_ready_to_record_an_expense(api_client):
    registered = api_client.post(
        "/api/v1/auth/register",
        {"email": "sam@example.com", "password": TEST_PASSWORD, "currency": "EUR"},
        format="json",
    )
    assert registered.status_code == 201, registered.json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {registered.json()['access']}")
    account = api_client.get("/api/v1/accounts").json()["results"][0]
    assert (account["name"], account["currency"]) == (DEFAULT_ACCOUNT_NAME, "EUR")
    spent = api_client.post("/api/v1/transactions", {"account": account["id"], "amount": "4.20"}, format="json")
    assert spent.status_code == 201, spent.json()


def test_saving_a_user_again_adds_nothing(user):
    user.full_name = "Ada King"
    user.save()
    assert Category.objects.filter(user=user).count() == 6
    assert Account.objects.filter(user=user).count() == 1


def test_deleting_a_user_deletes_their_ledger_including_transfers(user, other_user, main_account):
    savings = make_account(user, name="Savings")
    make_transaction(main_account, amount="10.00", kind="transfer", transfer_account=savings)
    make_transaction(savings, amount="1.00")
    kept = make_transaction(Account.objects.get(user=other_user), amount="2.00")

    User.objects.get(pk=user.pk).delete()

    assert not Account.objects.filter(user_id=user.pk).exists()
    assert not Category.objects.filter(user_id=user.pk).exists()
    assert list(Transaction.objects.all()) == [kept]
