"""The admin refuses what the API and the pages refuse: a transaction on someone else's
account or category, or an account handed to someone else while its rows stay behind.
Each test posts the admin's own form as a superuser (pytest-django's admin_client)."""

from datetime import date

import pytest

from budgetpay.testing.admin import field_errors, refused
from budgetpay.testing.factories import make_transaction
from transactions.models import OWN_ROW_REQUIRED, Account, Category, Transaction
from transactions.services import transaction_create, transaction_update

pytestmark = pytest.mark.django_db


def balance_inputs(account: Account) -> list[tuple]:
    """What an account's balance is made of: every row that moves money in or out of it."""
    rows = Transaction.objects.filter(account=account) | Transaction.objects.filter(transfer_account=account)
    return sorted(rows.values_list("pk", "user_id", "kind", "amount"))


def form(tx_user, account, **fields) -> dict:
    """The admin's add/change form for a transaction, as the browser posts it."""
    return {
        "user": tx_user.pk,
        "account": account.pk,
        "transfer_account": "",
        "category": "",
        "kind": "expense",
        "amount": "25.00",
        "date": "2026-11-20",
        "description": "Posted by staff",
        "payee": "",
        "notes": "",
        "tags": "[]",
        "external_id": "",
        **fields,
    }


@pytest.fixture
def grace_account(other_user) -> Account:
    return Account.objects.get(user=other_user, name="Main account")


def test_admin_cannot_add_a_transaction_on_another_persons_account(admin_client, user, grace_account):
    before = balance_inputs(grace_account)
    response = admin_client.post("/admin/transactions/transaction/add/", form(user, grace_account))
    assert field_errors(response, "account") == [OWN_ROW_REQUIRED]
    assert balance_inputs(grace_account) == before
    assert not Transaction.objects.filter(description="Posted by staff").exists()


def test_admin_cannot_move_a_transaction_onto_another_persons_account(admin_client, user, main_account, grace_account):
    tx = make_transaction(main_account, amount="12.00", on=date(2026, 11, 2), description="Lunch")
    before = balance_inputs(grace_account)
    response = admin_client.post(
        f"/admin/transactions/transaction/{tx.pk}/change/", form(user, grace_account, amount="12.00")
    )
    assert field_errors(response, "account") == [OWN_ROW_REQUIRED]
    assert balance_inputs(grace_account) == before
    tx.refresh_from_db()
    assert tx.account == main_account


def test_admin_cannot_transfer_into_or_categorise_with_another_persons_rows(
    admin_client, user, other_user, main_account, grace_account
):
    grace_food = Category.objects.get(user=other_user, name="Food", kind="expense")
    transfer = admin_client.post(
        "/admin/transactions/transaction/add/",
        form(user, main_account, kind="transfer", transfer_account=grace_account.pk),
    )
    assert field_errors(transfer, "transfer_account") == [OWN_ROW_REQUIRED]
    categorised = admin_client.post(
        "/admin/transactions/transaction/add/", form(user, main_account, category=grace_food.pk)
    )
    assert field_errors(categorised, "category") == [OWN_ROW_REQUIRED]
    assert not Transaction.objects.filter(description="Posted by staff").exists()


def test_admin_still_adds_a_transaction_on_the_persons_own_account(admin_client, user, main_account, food):
    response = admin_client.post("/admin/transactions/transaction/add/", form(user, main_account, category=food.pk))
    assert response.status_code == 302
    tx = Transaction.objects.get(description="Posted by staff")
    assert (tx.user, tx.account, tx.category) == (user, main_account, food)


def test_admin_cannot_hand_an_account_with_rows_to_someone_else(admin_client, user, other_user, main_account):
    make_transaction(main_account, amount="7.00", on=date(2026, 11, 2))
    response = admin_client.post(
        f"/admin/transactions/account/{main_account.pk}/change/",
        {
            "user": other_user.pk,
            "name": "Main account",
            "kind": "bank",
            "currency": "USD",
            "opening_balance": "0.00",
        },
    )
    assert field_errors(response, "user") == [
        f"Rows of {user.email} (transactions, budgets or goals) use it, so it cannot change hands."
    ]
    main_account.refresh_from_db()
    assert main_account.user == user


def test_admin_cannot_hand_a_used_category_to_someone_else(admin_client, user, other_user, main_account, food):
    make_transaction(main_account, amount="7.00", on=date(2026, 11, 2), category=food)
    response = admin_client.post(
        f"/admin/transactions/category/{food.pk}/change/",
        {"user": other_user.pk, "name": "Groceries of Grace", "kind": "expense", "color": "#1f883d"},
    )
    assert field_errors(response, "user")
    food.refresh_from_db()
    assert food.user == user


def test_the_services_refuse_the_same_with_the_same_message(user, other_user, main_account, grace_account):
    with refused("transfer_account", OWN_ROW_REQUIRED):
        transaction_create(
            user=user, account=main_account, amount="5.00", kind="transfer", transfer_account=grace_account
        )
    own = transaction_create(user=user, account=main_account, amount="5.00")
    with refused("account", OWN_ROW_REQUIRED):
        transaction_update(transaction=own, account=grace_account)
    assert Transaction.objects.filter(account=grace_account).count() == 0


def test_an_unchanged_owner_keeps_editing_its_account(admin_client, user, main_account):
    make_transaction(main_account, amount="7.00", on=date(2026, 11, 2))
    response = admin_client.post(
        f"/admin/transactions/account/{main_account.pk}/change/",
        {"user": user.pk, "name": "Everyday", "kind": "bank", "currency": "USD", "opening_balance": "10.00"},
    )
    assert response.status_code == 302
    main_account.refresh_from_db()
    assert (main_account.name, str(main_account.opening_balance)) == ("Everyday", "10.00")


def test_a_new_accounts_owner_may_be_anyone(admin_client, other_user):
    response = admin_client.post(
        "/admin/transactions/account/add/",
        {"user": other_user.pk, "name": "Wallet", "kind": "cash", "currency": "USD", "opening_balance": "0.00"},
    )
    assert response.status_code == 302
    assert Account.objects.get(name="Wallet").user == other_user
