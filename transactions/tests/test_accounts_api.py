from decimal import Decimal

import pytest

from budgetpay.testing.api import assert_refused_naming, bad_values
from budgetpay.testing.factories import make_account, make_transaction
from transactions.models import Account, Transaction

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/accounts"


def test_create_defaults_to_the_users_currency_and_answers_with_a_zero_balance(auth_client, user):
    user.currency = "EUR"
    user.save(update_fields=["currency"])
    response = auth_client.post(ACCOUNTS, {"name": "Wallet", "kind": "cash"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["kind"], body["currency"]) == ("Wallet", "cash", "EUR")
    assert (body["opening_balance"], body["balance"], body["is_archived"]) == ("0.00", "0.00", False)
    assert Account.objects.get(pk=body["id"]).user == user


def test_balance_reflects_opening_balance_income_expenses_and_transfers(auth_client, user, main_account):
    savings = make_account(user, name="Savings", opening_balance=Decimal("100.00"))
    make_transaction(main_account, amount="1000.00", kind=Transaction.Kind.INCOME)
    make_transaction(main_account, amount="12.34", kind=Transaction.Kind.EXPENSE)
    make_transaction(main_account, amount="200.00", kind=Transaction.Kind.TRANSFER, transfer_account=savings)
    make_transaction(savings, amount="50.50", kind=Transaction.Kind.TRANSFER, transfer_account=main_account)

    balances = {row["name"]: row["balance"] for row in auth_client.get(ACCOUNTS).json()["results"]}
    assert balances == {"Main account": "838.16", "Savings": "249.50"}
    detail = auth_client.get(f"{ACCOUNTS}/{savings.pk}").json()
    assert detail["balance"] == "249.50"


def test_patch_opening_balance_answers_with_the_new_balance(auth_client, main_account):
    make_transaction(main_account, amount="10.00", kind=Transaction.Kind.EXPENSE)
    response = auth_client.patch(f"{ACCOUNTS}/{main_account.pk}", {"opening_balance": "-5.50"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["opening_balance"], response.json()["balance"]) == ("-5.50", "-15.50")


# A currency must be an ISO 4217 code, in capitals.
BAD_ACCOUNT_FIELDS = bad_values(
    kind=["piggybank"], name=[""], opening_balance=["1e5", "NaN", "1.234"], currency=["ABC", "usd", "EURO", "12"]
)


@pytest.mark.parametrize(("field", "value"), BAD_ACCOUNT_FIELDS)
def test_bad_account_fields_are_400_naming_the_field(auth_client, field, value):
    response = auth_client.post(ACCOUNTS, {"name": "Wallet", field: value}, format="json")
    assert_refused_naming(response, field)
    assert not Account.objects.filter(name="Wallet").exists()


def test_names_are_unique_per_user_ignoring_case(auth_client, other_client):
    assert auth_client.post(ACCOUNTS, {"name": "main ACCOUNT"}, format="json").status_code == 400
    assert other_client.post(ACCOUNTS, {"name": "Holiday"}, format="json").status_code == 201
    assert auth_client.post(ACCOUNTS, {"name": "Holiday"}, format="json").status_code == 201


def test_an_empty_account_can_be_deleted(auth_client, user):
    account = make_account(user, name="Old")
    assert auth_client.delete(f"{ACCOUNTS}/{account.pk}").status_code == 204
    assert not Account.objects.filter(pk=account.pk).exists()


@pytest.mark.parametrize("direction", ["own", "incoming transfer"])
def test_an_account_with_transactions_is_not_deleted_and_the_answer_suggests_archiving(
    auth_client, user, main_account, direction
):
    other = make_account(user, name="Other")
    if direction == "own":
        make_transaction(other, amount="5.00")
    else:
        make_transaction(main_account, amount="5.00", kind=Transaction.Kind.TRANSFER, transfer_account=other)

    response = auth_client.delete(f"{ACCOUNTS}/{other.pk}")
    assert response.status_code == 400
    assert "archive" in response.json()["message"].lower()
    assert Account.objects.filter(pk=other.pk).exists()

    archived = auth_client.patch(f"{ACCOUNTS}/{other.pk}", {"is_archived": True}, format="json")
    assert archived.status_code == 200
    assert archived.json()["is_archived"] is True
    listed = auth_client.get(ACCOUNTS, {"is_archived": "false"}).json()["results"]
    assert other.pk not in [row["id"] for row in listed]


def test_currency_cannot_change_once_the_account_has_transactions(auth_client, user):
    account = make_account(user, name="Travel card")
    assert auth_client.patch(f"{ACCOUNTS}/{account.pk}", {"currency": "EUR"}, format="json").status_code == 200
    make_transaction(account, amount="5.00")
    response = auth_client.patch(f"{ACCOUNTS}/{account.pk}", {"currency": "GBP"}, format="json")
    assert response.status_code == 400
    assert "currency" in response.json()["errors"]
    account.refresh_from_db()
    assert account.currency == "EUR"


@pytest.mark.parametrize("count", [5, 50])
def test_the_list_runs_a_fixed_number_of_queries(auth_client, user, count, django_assert_max_num_queries):
    for index in range(count):
        account = make_account(user, name=f"Account {index}")
        make_transaction(account, amount="1.00")
    with django_assert_max_num_queries(3):
        response = auth_client.get(ACCOUNTS, {"page_size": 100})
    assert response.json()["count"] == count + 1


def test_paths_answer_with_and_without_trailing_slash(auth_client, main_account):
    assert auth_client.get(f"{ACCOUNTS}/").status_code == 200
    assert auth_client.get(f"{ACCOUNTS}/{main_account.pk}/").status_code == 200
    assert auth_client.get(f"{ACCOUNTS}/{main_account.pk}").status_code == 200


def test_anonymous_requests_are_401(api_client, main_account):
    assert api_client.get(ACCOUNTS).status_code == 401
    assert api_client.get(f"{ACCOUNTS}/{main_account.pk}").status_code == 401
