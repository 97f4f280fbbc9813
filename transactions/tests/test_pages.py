"""The ledger's pages with Django's test client: transactions (with transfers), accounts,
categories and the statement import, written through the ledger's services; CSRF."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from budgetpay.testing.factories import main_account_of, make_account, make_category, make_transaction
from transactions.models import Account, Category, Transaction
from transactions.selectors import transaction_search

pytestmark = pytest.mark.django_db


# --- Transactions -----------------------------------------------------------------------------------


def test_another_persons_category_is_refused_next_to_the_field(page_client, other_user):
    theirs = make_category(other_user, name="Food")
    response = page_client.post(
        "/transactions/new/",
        {
            "kind": "expense",
            "amount": "5.00",
            "category": theirs.pk,
            "date": "2026-01-05",
            "account": 0,
            "description": "Lunch",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "category" in form.errors and "account" in form.errors
    assert not Transaction.objects.filter(description="Lunch").exists()


def test_a_post_without_the_csrf_token_is_refused(user, main_account):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    data = {"kind": "expense", "amount": "9.99", "date": "2026-03-02", "account": main_account.pk}

    refused = client.post("/transactions/new/", data)
    assert refused.status_code == 403
    assert b"That form has expired" in refused.content
    assert not Transaction.objects.exists()

    page = client.get("/transactions/new/")
    token = page.context["csrf_token"]
    accepted = client.post("/transactions/new/", {**data, "csrfmiddlewaretoken": str(token)})
    assert accepted.status_code == 302
    assert Transaction.objects.get().amount == Decimal("9.99")


def test_an_expense_with_an_income_category_is_explained_next_to_the_category(page_client, user, main_account):
    salary = Category.objects.get(user=user, name="Salary")
    response = page_client.post(
        "/transactions/new/",
        {"kind": "expense", "amount": "20", "category": salary.pk, "date": "2026-01-10", "account": main_account.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["category"] == ["Salary is an income category; pick an expense category."]
    assert 'value="20"' in response.content.decode()


def test_editing_and_deleting_a_transaction(page_client, user, main_account):
    tx = make_transaction(main_account, amount="10.00", description="Old", on=date(2026, 1, 2))
    page = page_client.get(f"/transactions/{tx.pk}/edit/")
    assert 'value="Old"' in page.content.decode()
    saved = page_client.post(
        f"/transactions/{tx.pk}/edit/",
        {"kind": "expense", "amount": "12.34", "date": "2026-01-03", "account": tx.account_id, "description": "New"},
    )
    assert saved.status_code == 302
    tx.refresh_from_db()
    assert (tx.amount, tx.description, tx.date) == (Decimal("12.34"), "New", date(2026, 1, 3))

    assert page_client.get(f"/transactions/{tx.pk}/delete/").status_code == 200
    assert page_client.post(f"/transactions/{tx.pk}/delete/").status_code == 302
    assert not Transaction.objects.exists()


def test_transfers_are_recorded_and_edited_between_own_accounts(page_client, user, main_account, other_user):
    main = main_account
    savings = make_account(user, name="Savings")
    euro = make_account(user, name="Euro", currency="EUR")
    theirs = main_account_of(other_user)
    base = {"kind": "transfer", "amount": "200.00", "date": "2026-03-02", "account": main.pk}

    missing = page_client.post("/transactions/new/", base)
    assert missing.context["form"].errors["transfer_account"] == ["Choose the account the money goes to."]
    categorised = page_client.post(
        "/transactions/new/", {**base, "transfer_account": savings.pk, "category": make_category(user, name="Food").pk}
    )
    assert "has no category" in categorised.context["form"].errors["category"][0]
    foreign = page_client.post("/transactions/new/", {**base, "transfer_account": theirs.pk})
    assert "transfer_account" in foreign.context["form"].errors
    same = page_client.post("/transactions/new/", {**base, "transfer_account": main.pk})
    assert same.context["form"].errors["transfer_account"] == [
        "Choose a different account from the one the money leaves."
    ]
    currencies = page_client.post("/transactions/new/", {**base, "transfer_account": euro.pk})
    assert "same currency" in currencies.context["form"].errors["transfer_account"][0]
    assert not Transaction.objects.exists()

    saved = page_client.post("/transactions/new/", {**base, "transfer_account": savings.pk}, follow=True)
    assert "Transfer of $200.00 saved (Main account → Savings, 2 Mar)." in saved.content.decode()
    transfer = Transaction.objects.get()
    assert (transfer.kind, transfer.account, transfer.transfer_account) == ("transfer", main, savings)

    page = page_client.get(f"/transactions/{transfer.pk}/edit/").content.decode()
    assert f'<option value="{savings.pk}" selected>Savings (USD)</option>' in page
    edited = page_client.post(
        f"/transactions/{transfer.pk}/edit/", {**base, "amount": "150.00", "transfer_account": savings.pk}
    )
    assert edited.status_code == 302
    transfer.refresh_from_db()
    assert transfer.amount == Decimal("150.00")

    # Turned into an expense, the "to account" still chosen in the form is dropped, not refused.
    expense = page_client.post(
        f"/transactions/{transfer.pk}/edit/", {**base, "kind": "expense", "transfer_account": savings.pk}
    )
    assert expense.status_code == 302
    transfer.refresh_from_db()
    assert (transfer.kind, transfer.transfer_account) == ("expense", None)


def test_transaction_list_searches_and_pages(page_client, user, main_account):
    account = main_account
    for day in range(1, 31):
        make_transaction(account, amount="1.00", description=f"Coffee {day}", on=date(2026, 1, day))
    make_transaction(account, amount="800.00", description="Rent", on=date(2026, 1, 1))
    first = page_client.get("/transactions/")
    assert len(first.context["page"].object_list) == 25
    assert first.context["page"].paginator.count == 31
    found = page_client.get("/transactions/?q=rent")
    assert [tx.description for tx in found.context["page"].object_list] == ["Rent"]
    assert "$800.00" in found.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("coffee", {"Coffee with Ana"}),
        ("ana coffee", {"Coffee with Ana"}),  # words in any order (the page used to match the whole text)
        ("receipt", {"Rent"}),  # the notes (the page used to skip them)
        ("housing", set()),  # a category's name (the page used to match it)
        ("", {"Coffee with Ana", "Rent"}),
    ],
)
def test_the_list_searches_as_the_api_does(page_client, user, main_account, query, expected):
    account = main_account
    make_transaction(account, amount="3.50", description="Coffee with Ana")
    make_transaction(
        account,
        amount="800.00",
        description="Rent",
        notes="Receipt in the drawer",
        category=make_category(user, name="Housing 2"),
    )
    page = page_client.get("/transactions/", {"q": query})
    assert {tx.description for tx in page.context["page"].object_list} == expected
    api = {tx.description for tx in transaction_search(user=user, query=query)}
    assert api == expected


def test_amounts_in_other_currencies_keep_their_own_symbol(page_client, user):
    euros = make_account(user, name="Euro card", currency="EUR")
    make_transaction(euros, amount="15.50", description="Croissants")
    assert "€15.50" in page_client.get("/transactions/").content.decode()


# --- Accounts and categories ------------------------------------------------------------------------


def test_accounts_are_listed_with_balances_created_edited_and_archived(page_client, user, main_account):
    main = main_account
    make_transaction(main, amount="30.00")
    created = page_client.post(
        "/ledger/accounts/new/",
        {"name": "Travel card", "kind": "card", "currency": "EUR", "opening_balance": "-80.50"},
        follow=True,
    )
    assert created.redirect_chain == [("/ledger/", 302)]
    card = Account.objects.get(user=user, name="Travel card")
    assert (card.kind, card.currency, card.opening_balance) == ("card", "EUR", Decimal("-80.50"))
    page = created.content.decode()
    assert "Account “Travel card (EUR)” created." in page
    assert "−€80.50" in page and "−$30.00" in page  # each balance in its own currency, the expense counted

    taken = page_client.post(
        "/ledger/accounts/new/", {"name": "travel CARD", "kind": "bank", "currency": "USD", "opening_balance": "0"}
    )
    assert taken.status_code == 200 and taken.context["form"].errors["name"]
    assert Account.objects.filter(user=user).count() == 2

    locked = page_client.post(
        f"/ledger/accounts/{main.pk}/edit/",
        {"name": "Main account", "kind": "bank", "currency": "EUR", "opening_balance": "0", "is_archived": "on"},
    )
    assert locked.status_code == 200 and "already has transactions" in locked.context["form"].errors["currency"][0]
    main.refresh_from_db()
    assert (main.currency, main.is_archived) == ("USD", False)

    archived = page_client.post(
        f"/ledger/accounts/{main.pk}/edit/",
        {"name": "Old bank", "kind": "bank", "currency": "USD", "opening_balance": "0", "is_archived": "on"},
    )
    assert archived.status_code == 302
    main.refresh_from_db()
    assert (main.name, main.is_archived) == ("Old bank", True)


def test_an_account_with_transactions_is_kept_and_an_empty_one_deleted(page_client, user, main_account):
    main = main_account
    make_transaction(main, amount="5.00")
    spare = make_account(user, name="Spare")
    refused = page_client.post(f"/ledger/accounts/{main.pk}/delete/", follow=True)
    assert "cannot be deleted. Archive it instead" in refused.content.decode()
    assert Account.objects.filter(pk=main.pk).exists() and Transaction.objects.count() == 1
    deleted = page_client.post(f"/ledger/accounts/{spare.pk}/delete/", follow=True)
    assert "Account “Spare (USD)” deleted." in deleted.content.decode()
    assert not Account.objects.filter(pk=spare.pk).exists()


def test_categories_are_created_with_a_share_of_income_edited_and_deleted(page_client, user, main_account):
    assert sum(c.income_percentage or 0 for c in Category.objects.filter(user=user)) == 70  # the defaults
    too_much = page_client.post(
        "/ledger/categories/new/", {"name": "Hobbies", "kind": "expense", "color": "#1f883d", "income_percentage": "35"}
    )
    assert too_much.status_code == 200
    assert too_much.context["form"].errors["income_percentage"] == [
        "Your other categories already plan 70% of income; this one can have at most 30%. "
        "To make room, lower one of these: Housing 30%, Food 15%, Shopping 10%, Travel 10%, Misc 5%."
    ]
    assert not Category.objects.filter(name="Hobbies").exists()
    bad = page_client.post("/ledger/categories/new/", {"name": "Gifts", "kind": "expense", "color": "green"})
    assert bad.status_code == 200 and bad.context["form"].errors["color"] == ["Use a colour like #1f883d."]
    created = page_client.post("/ledger/categories/new/", {"name": "Gifts", "kind": "expense", "color": "#aa3377"})
    assert created.status_code == 302
    gifts = Category.objects.get(user=user, name="Gifts")
    make_transaction(main_account, amount="12.00", category=gifts)

    income_share = page_client.post(
        f"/ledger/categories/{gifts.pk}/edit/", {"name": "Gifts", "kind": "income", "color": "#aa3377"}
    )
    assert (
        income_share.status_code == 200
        and "Transactions use this category" in income_share.context["form"].errors["kind"][0]
    )

    renamed = page_client.post(
        f"/ledger/categories/{gifts.pk}/edit/", {"name": "Presents", "kind": "expense", "color": "#aa3377"}
    )
    assert renamed.status_code == 302
    assert "Presents" in page_client.get("/ledger/").content.decode()

    deleted = page_client.post(f"/ledger/categories/{gifts.pk}/delete/", follow=True)
    assert "Category “Presents” deleted." in deleted.content.decode()
    assert Transaction.objects.get().category is None


# --- Import -----------------------------------------------------------------------------------------


STATEMENT = (
    "Posting Date,Memo,Money Out,Money In\n"
    "03/11/2026,Coffee shop,4.50,\n"
    "04/11/2026,Salary,,2500.00\n"
    "05/11/2026,Broken row,abc,\n"
)


def upload(content: str, name: str = "statement.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def test_a_statement_is_checked_then_imported_once_with_bad_rows_named(page_client, user, main_account):
    main = main_account
    mapped = {
        "date_column": "Posting Date",
        "description_column": "Memo",
        "debit_column": "Money Out",
        "credit_column": "Money In",
        "date_format": "DD/MM/YYYY",
    }

    checked = page_client.post(
        "/transactions/import/", {"account": main.pk, "file": upload(STATEMENT), "dry_run": "on", **mapped}
    )
    assert checked.status_code == 200
    report = checked.context["report"]
    assert (report.dry_run, report.new, report.created, report.duplicates) == (True, 2, 0, 0)
    assert [error["row"] for error in report.errors] == [4]
    page = checked.content.decode()
    assert "Checked: nothing was imported" in page and "Line 4: " in page and "Coffee shop" in page
    assert "Read with money out and money in columns, dates as %d/%m/%Y" in page
    assert not Transaction.objects.exists()

    imported = page_client.post("/transactions/import/", {"account": main.pk, "file": upload(STATEMENT), **mapped})
    assert imported.context["report"].created == 2
    assert "2 transactions imported." in imported.content.decode()
    assert sorted((t.kind, t.amount, t.date) for t in Transaction.objects.all()) == [
        ("expense", Decimal("4.50"), date(2026, 11, 3)),
        ("income", Decimal("2500.00"), date(2026, 11, 4)),
    ]

    again = page_client.post("/transactions/import/", {"account": main.pk, "file": upload(STATEMENT), **mapped})
    assert (again.context["report"].created, again.context["report"].duplicates) == (0, 2)
    assert Transaction.objects.count() == 2


def test_an_unreadable_or_foreign_import_is_explained_and_saves_nothing(
    page_client, user, main_account, other_user, settings
):
    main = main_account
    empty = page_client.post("/transactions/import/", {"account": main.pk, "file": upload("")})
    assert empty.status_code == 200 and empty.context["form"].errors["file"]

    unknown = page_client.post(
        "/transactions/import/", {"account": main.pk, "file": upload("When,What,Howmuch\n1,2,3\n")}
    )
    assert unknown.context["form"].non_field_errors() == [
        "Could not recognise the columns of this file (found: When, What, Howmuch). "
        "Name them under “My bank names its columns differently”."
    ]

    missing = page_client.post(
        "/transactions/import/", {"account": main.pk, "file": upload(STATEMENT), "date_column": "When"}
    )
    assert missing.context["form"].non_field_errors() == [
        "There is no column named 'When'; the file has: Posting Date, Memo, Money Out, Money In."
    ]

    two_ways = upload("Date,Amount\n03/04/2026,5\n05/06/2026,6\n")
    ambiguous = page_client.post("/transactions/import/", {"account": main.pk, "file": two_ways})
    assert ambiguous.context["form"].errors["date_format"] == [
        "Dates such as 03/04 could mean day/month or month/day. "
        "Choose DD/MM/YYYY or MM/DD/YYYY under “Dates look like”."
    ]

    theirs = page_client.post(
        "/transactions/import/", {"account": main_account_of(other_user).pk, "file": upload(STATEMENT)}
    )
    assert theirs.status_code == 200 and "account" in theirs.context["form"].errors

    settings.API_UPLOAD_MAX_SIZE = 20
    large = page_client.post("/transactions/import/", {"account": main.pk, "file": upload(STATEMENT)})
    assert "the limit is 20 bytes" in large.context["form"].errors["file"][0]
    assert not Transaction.objects.exists()
