"""The signed-in pages with Django's test client: sign-in and ownership, forms that keep
what was typed, CSRF, writes through the services, and the dashboard's query budget."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from budgetpay.periods import user_today
from budgets.models import Budget
from chatbot import services as chat_services
from chatbot.models import Conversation, ProposedAction
from conftest import TEST_PASSWORD, make_user
from goals.models import Goal, GoalEntry
from notifications.models import Notification, NotificationPreference
from notifications.services import notify
from transactions.models import Account, Category, Transaction
from transactions.tests.factories import make_account, make_category, make_transaction
from users.services import tokens_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def main_account(user) -> Account:
    return Account.objects.get(user=user, name="Main account")


def budget_for(user, *, category: Category | None, amount: str = "100.00", **extra) -> Budget:
    return Budget.objects.create(
        user=user, category=category, amount=Decimal(amount), start_date=user_today(user).replace(day=1), **extra
    )


def notification_for(user, title: str = "Food budget at 80 %") -> Notification:
    return notify(user=user, type=Notification.Type.BUDGET_THRESHOLD, title=title, message="You have spent 80.00 of 100.00.")


SIGNED_IN_PAGES = [
    "/transactions/",
    "/transactions/new/",
    "/transactions/import/",
    "/ledger/",
    "/ledger/accounts/new/",
    "/ledger/categories/new/",
    "/budgets/",
    "/budgets/new/",
    "/goals/",
    "/goals/new/",
    "/notifications/",
    "/notifications/panel/",
    "/chat/",
    "/account/profile/",
    "/account/notifications/",
    "/account/api/",
]


# --- Sign-in ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_every_page_needs_sign_in_and_returns_after_it(user, path):
    client = Client()
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"

    signed_in = client.post(response["Location"], {"login": user.email, "password": TEST_PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == path
    assert client.get(path).status_code == 200


def test_the_front_page_is_the_dashboard_once_signed_in(user):
    client = Client()
    front = client.get("/")
    assert b"Create an account" in front.content
    client.force_login(user)
    dashboard = client.get("/")
    assert dashboard.templates[0].name == "pages/dashboard.html"
    assert b"Hello, Ada" in dashboard.content


def test_an_expired_session_leads_to_sign_in_and_back(client, user):
    assert client.get("/budgets/").status_code == 200
    Session.objects.all().delete()  # what expiry does: the session row is gone

    response = client.get("/budgets/?x=1")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/budgets/%3Fx%3D1"
    back = client.post(response["Location"], {"login": user.email, "password": TEST_PASSWORD})
    assert back["Location"] == "/budgets/?x=1"


# --- Ownership ---------------------------------------------------------------------------------


@pytest.fixture
def others_objects(other_user) -> dict[str, int]:
    food = make_category(other_user, name="Food")
    tx = make_transaction(main_account(other_user), amount="12.00", category=food)
    budget = budget_for(other_user, category=food)
    goal = Goal.objects.create(user=other_user, name="Bike", target_amount=Decimal("500"))
    notification = notification_for(other_user)
    conversation = chat_services.conversation_create(user=other_user, title="Hers")
    action = ProposedAction.objects.create(
        user=other_user, conversation=conversation, operation="delete", summary="Delete it", transaction=tx
    )
    return {
        "tx": tx.pk, "budget": budget.pk, "goal": goal.pk, "notification": notification.pk,
        "conversation": conversation.pk, "action": action.pk, "account": tx.account_id, "category": food.pk,
    }


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/transactions/{tx}/edit/"),
        ("post", "/transactions/{tx}/edit/"),
        ("get", "/transactions/{tx}/delete/"),
        ("post", "/transactions/{tx}/delete/"),
        ("get", "/ledger/accounts/{account}/edit/"),
        ("post", "/ledger/accounts/{account}/edit/"),
        ("post", "/ledger/accounts/{account}/delete/"),
        ("get", "/ledger/categories/{category}/edit/"),
        ("post", "/ledger/categories/{category}/edit/"),
        ("post", "/ledger/categories/{category}/delete/"),
        ("get", "/budgets/{budget}/edit/"),
        ("post", "/budgets/{budget}/delete/"),
        ("get", "/goals/{goal}/edit/"),
        ("get", "/goals/{goal}/money/"),
        ("post", "/goals/{goal}/delete/"),
        ("post", "/notifications/{notification}/read/"),
        ("get", "/chat/{conversation}/"),
        ("post", "/chat/actions/{action}/confirm/"),
        ("post", "/chat/actions/{action}/cancel/"),
    ],
)
def test_another_persons_object_is_not_found(client, others_objects, method, path):
    response = getattr(client, method)(path.format(**others_objects))
    assert response.status_code == 404
    assert b"couldn" in response.content  # the friendly page in the shared layout
    assert Transaction.objects.filter(pk=others_objects["tx"]).exists()
    assert Budget.objects.filter(pk=others_objects["budget"]).exists()
    assert Goal.objects.filter(pk=others_objects["goal"]).exists()
    assert not Notification.objects.get(pk=others_objects["notification"]).is_read
    assert ProposedAction.objects.get(pk=others_objects["action"]).status == "pending"
    assert Category.objects.get(pk=others_objects["category"]).name == "Food"
    assert Account.objects.get(pk=others_objects["account"]).name == "Main account"


def test_another_persons_category_is_refused_next_to_the_field(client, other_user):
    theirs = make_category(other_user, name="Food")
    response = client.post(
        "/transactions/new/",
        {"kind": "expense", "amount": "5.00", "category": theirs.pk, "date": "2026-01-05", "account": 0, "description": "Lunch"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "category" in form.errors and "account" in form.errors
    assert not Transaction.objects.filter(description="Lunch").exists()


# --- CSRF ---------------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    data = {"kind": "expense", "amount": "9.99", "date": "2026-03-02", "account": main_account(user).pk}

    refused = client.post("/transactions/new/", data)
    assert refused.status_code == 403
    assert b"That form has expired" in refused.content
    assert not Transaction.objects.exists()

    page = client.get("/transactions/new/")
    token = page.context["csrf_token"]
    accepted = client.post("/transactions/new/", {**data, "csrfmiddlewaretoken": str(token)})
    assert accepted.status_code == 302
    assert Transaction.objects.get().amount == Decimal("9.99")


# --- Forms: errors next to fields, typed values kept ----------------------------------------------


def test_the_quick_expense_form_shows_errors_and_keeps_what_was_typed(client, user):
    response = client.post("/", {"quick-kind": "expense", "quick-amount": "", "quick-date": "2026-02-30",
                                 "quick-description": "Farmers market", "quick-account": main_account(user).pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_quick-amount_error">Enter an amount.</p>' in html
    assert 'aria-invalid="true"' in html
    assert "Enter a date like 2026-01-31." in html
    assert 'value="Farmers market"' in html
    assert 'value="2026-02-30"' in html
    assert not Transaction.objects.exists()


def test_an_expense_from_the_dashboard_is_saved_through_the_ledger_and_notifies(client, user):
    food = make_category(user, name="Food")
    budget_for(user, category=food, amount="100.00")
    today = user_today(user)
    response = client.post(
        "/",
        {"quick-kind": "expense", "quick-amount": "85", "quick-category": food.pk, "quick-date": today.isoformat(),
         "quick-description": "Groceries", "quick-account": main_account(user).pk},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    tx = Transaction.objects.get()
    assert (tx.amount, tx.category, tx.kind, tx.description) == (Decimal("85.00"), food, "expense", "Groceries")
    # The rule ran because the page wrote through the service: the threshold notification exists.
    assert Notification.objects.filter(user=user, type="budget_threshold").count() == 1

    page = client.get("/")
    html = page.content.decode()
    assert "Expense of $85.00 saved (Food," in html
    assert 'class="budget health-warning"' in html
    assert 'data-unread-badge>1</span>' in html


def test_an_expense_with_an_income_category_is_explained_next_to_the_category(client, user):
    salary = Category.objects.get(user=user, name="Salary")
    response = client.post(
        "/transactions/new/",
        {"kind": "expense", "amount": "20", "category": salary.pk, "date": "2026-01-10", "account": main_account(user).pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["category"] == ["Salary is an income category; pick an expense category."]
    assert 'value="20"' in response.content.decode()


def test_editing_and_deleting_a_transaction(client, user):
    tx = make_transaction(main_account(user), amount="10.00", description="Old", on=date(2026, 1, 2))
    page = client.get(f"/transactions/{tx.pk}/edit/")
    assert 'value="Old"' in page.content.decode()
    saved = client.post(
        f"/transactions/{tx.pk}/edit/",
        {"kind": "expense", "amount": "12.34", "date": "2026-01-03", "account": tx.account_id, "description": "New"},
    )
    assert saved.status_code == 302
    tx.refresh_from_db()
    assert (tx.amount, tx.description, tx.date) == (Decimal("12.34"), "New", date(2026, 1, 3))

    assert client.get(f"/transactions/{tx.pk}/delete/").status_code == 200
    assert client.post(f"/transactions/{tx.pk}/delete/").status_code == 302
    assert not Transaction.objects.exists()


def test_transfers_are_recorded_and_edited_between_own_accounts(client, user, other_user):
    main = main_account(user)
    savings = make_account(user, name="Savings")
    euro = make_account(user, name="Euro", currency="EUR")
    theirs = main_account(other_user)
    base = {"kind": "transfer", "amount": "200.00", "date": "2026-03-02", "account": main.pk}

    missing = client.post("/transactions/new/", base)
    assert missing.context["form"].errors["transfer_account"] == ["Choose the account the money goes to."]
    categorised = client.post(
        "/transactions/new/", {**base, "transfer_account": savings.pk, "category": make_category(user, name="Food").pk}
    )
    assert "has no category" in categorised.context["form"].errors["category"][0]
    foreign = client.post("/transactions/new/", {**base, "transfer_account": theirs.pk})
    assert "transfer_account" in foreign.context["form"].errors
    same = client.post("/transactions/new/", {**base, "transfer_account": main.pk})
    assert same.context["form"].errors["transfer_account"] == ["Choose a different account from the one the money leaves."]
    currencies = client.post("/transactions/new/", {**base, "transfer_account": euro.pk})
    assert "same currency" in currencies.context["form"].errors["transfer_account"][0]
    assert not Transaction.objects.exists()

    saved = client.post("/transactions/new/", {**base, "transfer_account": savings.pk}, follow=True)
    assert "Transfer of $200.00 saved (Main account → Savings, 2 Mar)." in saved.content.decode()
    transfer = Transaction.objects.get()
    assert (transfer.kind, transfer.account, transfer.transfer_account) == ("transfer", main, savings)

    page = client.get(f"/transactions/{transfer.pk}/edit/").content.decode()
    assert f'<option value="{savings.pk}" selected>Savings (USD)</option>' in page
    edited = client.post(f"/transactions/{transfer.pk}/edit/", {**base, "amount": "150.00", "transfer_account": savings.pk})
    assert edited.status_code == 302
    transfer.refresh_from_db()
    assert transfer.amount == Decimal("150.00")

    # Turned into an expense, the "to account" still chosen in the form is dropped, not refused.
    expense = client.post(f"/transactions/{transfer.pk}/edit/", {**base, "kind": "expense", "transfer_account": savings.pk})
    assert expense.status_code == 302
    transfer.refresh_from_db()
    assert (transfer.kind, transfer.transfer_account) == ("expense", None)


def test_transaction_list_searches_and_pages(client, user):
    account = main_account(user)
    for day in range(1, 31):
        make_transaction(account, amount="1.00", description=f"Coffee {day}", on=date(2026, 1, day))
    make_transaction(account, amount="800.00", description="Rent", on=date(2026, 1, 1))
    first = client.get("/transactions/")
    assert len(first.context["page"].object_list) == 25
    assert first.context["page"].paginator.count == 31
    found = client.get("/transactions/?q=rent")
    assert [tx.description for tx in found.context["page"].object_list] == ["Rent"]
    assert "$800.00" in found.content.decode()


def test_budget_form_errors_and_creation(client, user):
    food = make_category(user, name="Food")
    bad = client.post("/budgets/new/", {"category": food.pk, "amount": "", "period": "monthly", "thresholds": "80, lots"})
    assert bad.status_code == 200
    errors = bad.context["form"].errors
    assert errors["amount"] == ["Enter an amount."]
    assert errors["thresholds"] == ["Use whole percentages separated by commas, e.g. 80, 100."]
    html = bad.content.decode()
    assert 'value="80, lots"' in html
    assert f'<option value="{food.pk}" selected>Food</option>' in html

    good = client.post("/budgets/new/", {"category": food.pk, "amount": "250", "period": "monthly", "thresholds": "100, 50%"})
    assert good.status_code == 302
    budget = Budget.objects.get()
    assert (budget.category, budget.amount, budget.thresholds) == (food, Decimal("250.00"), [50, 100])

    edited = client.post(f"/budgets/{budget.pk}/edit/", {"category": "", "amount": "300", "period": "weekly", "thresholds": "90"})
    assert edited.status_code == 302
    budget.refresh_from_db()
    assert (budget.category, budget.period, budget.thresholds) == (None, "weekly", [90])


def test_accounts_are_listed_with_balances_created_edited_and_archived(client, user):
    main = main_account(user)
    make_transaction(main, amount="30.00")
    created = client.post(
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

    taken = client.post(
        "/ledger/accounts/new/", {"name": "travel CARD", "kind": "bank", "currency": "USD", "opening_balance": "0"}
    )
    assert taken.status_code == 200 and taken.context["form"].errors["name"]
    assert Account.objects.filter(user=user).count() == 2

    locked = client.post(
        f"/ledger/accounts/{main.pk}/edit/",
        {"name": "Main account", "kind": "bank", "currency": "EUR", "opening_balance": "0", "is_archived": "on"},
    )
    assert locked.status_code == 200 and "already has transactions" in locked.context["form"].errors["currency"][0]
    main.refresh_from_db()
    assert (main.currency, main.is_archived) == ("USD", False)

    archived = client.post(
        f"/ledger/accounts/{main.pk}/edit/",
        {"name": "Old bank", "kind": "bank", "currency": "USD", "opening_balance": "0", "is_archived": "on"},
    )
    assert archived.status_code == 302
    main.refresh_from_db()
    assert (main.name, main.is_archived) == ("Old bank", True)


def test_an_account_with_transactions_is_kept_and_an_empty_one_deleted(client, user):
    main = main_account(user)
    make_transaction(main, amount="5.00")
    spare = make_account(user, name="Spare")
    refused = client.post(f"/ledger/accounts/{main.pk}/delete/", follow=True)
    assert "cannot be deleted. Archive it instead" in refused.content.decode()
    assert Account.objects.filter(pk=main.pk).exists() and Transaction.objects.count() == 1
    deleted = client.post(f"/ledger/accounts/{spare.pk}/delete/", follow=True)
    assert "Account “Spare (USD)” deleted." in deleted.content.decode()
    assert not Account.objects.filter(pk=spare.pk).exists()


def test_categories_are_created_with_a_share_of_income_edited_and_deleted(client, user):
    assert sum(c.income_percentage or 0 for c in Category.objects.filter(user=user)) == 70  # the defaults
    too_much = client.post(
        "/ledger/categories/new/", {"name": "Hobbies", "kind": "expense", "color": "#1f883d", "income_percentage": "35"}
    )
    assert too_much.status_code == 200
    assert too_much.context["form"].errors["income_percentage"] == [
        "Your other categories already plan 70% of income; this one can have at most 30%. "
        "To make room, lower one of these: Housing 30%, Food 15%, Shopping 10%, Travel 10%, Misc 5%."
    ]
    assert not Category.objects.filter(name="Hobbies").exists()
    bad = client.post("/ledger/categories/new/", {"name": "Gifts", "kind": "expense", "color": "green"})
    assert bad.status_code == 200 and bad.context["form"].errors["color"] == ["Use a colour like #1f883d."]
    created = client.post("/ledger/categories/new/", {"name": "Gifts", "kind": "expense", "color": "#aa3377"})
    assert created.status_code == 302
    gifts = Category.objects.get(user=user, name="Gifts")
    make_transaction(main_account(user), amount="12.00", category=gifts)

    income_share = client.post(
        f"/ledger/categories/{gifts.pk}/edit/", {"name": "Gifts", "kind": "income", "color": "#aa3377"}
    )
    assert income_share.status_code == 200 and "Transactions use this category" in income_share.context["form"].errors["kind"][0]

    renamed = client.post(f"/ledger/categories/{gifts.pk}/edit/", {"name": "Presents", "kind": "expense", "color": "#aa3377"})
    assert renamed.status_code == 302
    assert "Presents" in client.get("/ledger/").content.decode()

    deleted = client.post(f"/ledger/categories/{gifts.pk}/delete/", follow=True)
    assert "Category “Presents” deleted." in deleted.content.decode()
    assert Transaction.objects.get().category is None


STATEMENT = (
    "Posting Date,Memo,Money Out,Money In\n"
    "03/11/2026,Coffee shop,4.50,\n"
    "04/11/2026,Salary,,2500.00\n"
    "05/11/2026,Broken row,abc,\n"
)


def upload(content: str, name: str = "statement.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def test_a_statement_is_checked_then_imported_once_with_bad_rows_named(client, user):
    main = main_account(user)
    mapped = {"date_column": "Posting Date", "description_column": "Memo", "debit_column": "Money Out",
              "credit_column": "Money In", "date_format": "DD/MM/YYYY"}

    checked = client.post("/transactions/import/", {"account": main.pk, "file": upload(STATEMENT), "dry_run": "on", **mapped})
    assert checked.status_code == 200
    report = checked.context["report"]
    assert (report.dry_run, report.new, report.created, report.duplicates) == (True, 2, 0, 0)
    assert [error["row"] for error in report.errors] == [4]
    page = checked.content.decode()
    assert "Checked: nothing was imported" in page and "Line 4: " in page and "Coffee shop" in page
    assert "Read with money out and money in columns, dates as %d/%m/%Y" in page
    assert not Transaction.objects.exists()

    imported = client.post("/transactions/import/", {"account": main.pk, "file": upload(STATEMENT), **mapped})
    assert imported.context["report"].created == 2
    assert "2 transactions imported." in imported.content.decode()
    assert sorted((t.kind, t.amount, t.date) for t in Transaction.objects.all()) == [
        ("expense", Decimal("4.50"), date(2026, 11, 3)),
        ("income", Decimal("2500.00"), date(2026, 11, 4)),
    ]

    again = client.post("/transactions/import/", {"account": main.pk, "file": upload(STATEMENT), **mapped})
    assert (again.context["report"].created, again.context["report"].duplicates) == (0, 2)
    assert Transaction.objects.count() == 2


def test_an_unreadable_or_foreign_import_is_explained_and_saves_nothing(client, user, other_user, settings):
    main = main_account(user)
    empty = client.post("/transactions/import/", {"account": main.pk, "file": upload("")})
    assert empty.status_code == 200 and empty.context["form"].errors["file"]

    unknown = client.post("/transactions/import/", {"account": main.pk, "file": upload("When,What,Howmuch\n1,2,3\n")})
    assert unknown.context["form"].non_field_errors() == [
        "Could not recognise the columns of this file (found: When, What, Howmuch). "
        "Name them under “My bank names its columns differently”."
    ]

    theirs = client.post("/transactions/import/", {"account": main_account(other_user).pk, "file": upload(STATEMENT)})
    assert theirs.status_code == 200 and "account" in theirs.context["form"].errors

    settings.API_UPLOAD_MAX_SIZE = 20
    large = client.post("/transactions/import/", {"account": main.pk, "file": upload(STATEMENT)})
    assert "the limit is 20 bytes" in large.context["form"].errors["file"][0]
    assert not Transaction.objects.exists()


def test_goals_are_created_and_money_added_without_going_below_zero(client, user):
    missing = client.post("/goals/new/", {"name": "", "target_amount": "1000"})
    assert missing.context["form"].errors["name"] == ["This field is required."]
    assert 'value="1000"' in missing.content.decode()
    client.post("/goals/new/", {"name": "Bike", "target_amount": "1000"})
    goal = Goal.objects.get()

    today = user_today(user).isoformat()
    added = client.post(f"/goals/{goal.pk}/money/", {"kind": "contribution", "amount": "250", "date": today})
    assert added.status_code == 302
    too_much = client.post(f"/goals/{goal.pk}/money/", {"kind": "withdrawal", "amount": "300", "date": today, "note": "oops"})
    assert too_much.status_code == 200
    assert "a withdrawal cannot take it below zero" in too_much.context["form"].errors["amount"][0]
    assert 'value="oops"' in too_much.content.decode()
    assert GoalEntry.objects.count() == 1
    assert "$250.00" in client.get("/goals/").content.decode()


def test_profile_offers_currencies_and_time_zones(client, user):
    page = client.get("/account/profile/").content.decode()
    assert '<option value="EUR">EUR — Euro</option>' in page
    assert '<option value="Europe/Berlin">' in page
    saved = client.post("/account/profile/", {"full_name": "Ada", "currency": "EUR", "timezone": "Asia/Tokyo", "monthly_income": "10"})
    assert saved.status_code == 302
    user.refresh_from_db()
    assert (user.currency, user.timezone) == ("EUR", "Asia/Tokyo")
    assert "€0.00" in client.get("/").content.decode()


# --- Notifications ---------------------------------------------------------------------------------


def test_marking_read_goes_back_to_the_page_and_never_off_site(client, user):
    first, second = notification_for(user, "One"), notification_for(user, "Two")
    response = client.post(f"/notifications/{first.pk}/read/", {"next": "/budgets/"})
    assert response["Location"] == "/budgets/"
    first.refresh_from_db()
    assert first.is_read

    off_site = client.post(f"/notifications/{second.pk}/read/", {"next": "https://evil.example/"})
    assert off_site["Location"] == "/notifications/"

    notification_for(user, "Three")
    client.post("/notifications/read-all/", {"next": "/"})
    assert not Notification.objects.filter(user=user, is_read=False).exists()


def test_the_bell_and_its_panel_show_the_latest_and_the_unread_count(client, user):
    for number in range(8):
        notification_for(user, f"Alert {number}")
    page = client.get("/budgets/").content.decode()
    assert "data-unread-badge>8</span>" in page
    assert f'data-last-notification-id="{Notification.objects.latest("id").pk}"' in page
    panel = client.get("/notifications/panel/?next=/budgets/")
    assert panel.content.decode().count('class="notification ') == 6
    assert 'name="next" value="/budgets/"' in panel.content.decode()
    assert "unread" in client.get("/notifications/?show=unread").content.decode()


def test_notification_preferences_are_saved(client, user):
    page = client.get("/account/notifications/")
    assert page.context["form"]["budget_threshold"].value() is True
    assert page.context["form"]["expense_recorded"].value() is False
    data = {name: "on" for name in Notification.Type.values if name not in ("saving_tip", "expense_recorded")}
    data["expense_recorded"] = "on"
    assert client.post("/account/notifications/", data).status_code == 302
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("type", "enabled"))
    assert chosen == {"saving_tip": False, "expense_recorded": True}


# --- API access --------------------------------------------------------------------------------------


def test_api_access_creates_a_token_pair_once_and_revokes_them_all(client, user):
    tokens_for_user(user=user)  # a script that already has one
    created = client.post("/account/api/", {"action": "create"})
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    tokens = created.context["tokens"]
    assert tokens["access"] in created.content.decode()
    assert len(created.context["active"]) == 2

    revoked = client.post("/account/api/", {"action": "revoke"})
    assert revoked.status_code == 302
    assert BlacklistedToken.objects.count() == OutstandingToken.objects.filter(user=user).count() == 2
    assert "Revoked 2 refresh tokens" in client.get("/account/api/").content.decode()
    refresh = Client().post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, content_type="application/json")
    assert refresh.status_code == 401


# --- Assistant ------------------------------------------------------------------------------------


def test_the_assistant_page_without_javascript(client, user, ai_off):
    empty = client.post("/chat/", {"content": ""})
    assert empty.context["form"].errors["content"] == ["Write a message."]
    sent = client.post("/chat/", {"content": "How much did I spend this month?"})
    conversation = Conversation.objects.get(user=user)
    assert sent["Location"] == f"/chat/{conversation.pk}/"
    page = client.get(sent["Location"]).content.decode()
    assert "How much did I spend this month?" in page
    assert 'class="bubble assistant"' in page
    assert 'data-api="/api/v1/chatbot/messages"' in page


def test_a_proposed_change_is_confirmed_from_the_page(client, user):
    tx = make_transaction(main_account(user), amount="4.00", description="Typo")
    conversation = chat_services.conversation_create(user=user)
    action = ProposedAction.objects.create(user=user, conversation=conversation, operation="delete", summary="Delete Typo", transaction=tx)
    response = client.post(f"/chat/actions/{action.pk}/confirm/")
    assert response["Location"] == f"/chat/{conversation.pk}/"
    assert not Transaction.objects.filter(pk=tx.pk).exists()


# --- Dashboard -----------------------------------------------------------------------------------------


def test_a_new_persons_dashboard_says_what_to_do_first(client):
    html = client.get("/").content.decode()
    assert "Create a budget" in html
    assert "Add your first expense" in html
    assert "Start a goal" in html
    assert 'class="donut"' not in html


def test_the_dashboard_shows_budgets_by_health_charts_goals_and_recent_spending(client, user):
    today = user_today(user)
    account = main_account(user)
    food, travel, shopping = (make_category(user, name=name) for name in ("Food", "Travel", "Shopping"))
    make_transaction(account, amount="1234.50", category=travel, on=today, description="Flights")
    make_transaction(account, amount="85.00", category=food, on=today)
    make_transaction(account, amount="10.00", category=shopping, on=today)
    budget_for(user, category=food, amount="100")
    budget_for(user, category=travel, amount="1000")
    budget_for(user, category=shopping, amount="500")
    Goal.objects.create(user=user, name="Bike", target_amount=Decimal("500"))

    response = client.get("/")
    html = response.content.decode()
    assert [status.health for status in response.context["statuses"]] == ["over", "warning", "ok"]
    assert "Over by $234.50" in html
    assert "$1,234.50" in html
    assert html.count('class="donut-slice"') == 3
    assert 'class="line-chart"' in html and "<polyline" in html
    assert "Bike" in html and "Flights" in html


def test_the_dashboard_shows_an_earlier_month_and_ignores_a_bad_one(client, user):
    today = user_today(user)
    last_month = today.replace(day=1) - timedelta(days=1)
    make_transaction(main_account(user), amount="42.00", on=last_month, description="Old one")
    earlier = client.get(f"/?month={last_month:%Y-%m}")
    assert earlier.context["summary"].period.start == last_month.replace(day=1)
    assert earlier.context["summary"].totals.spending == Decimal("42.00")
    assert client.get("/?month=garbage").context["summary"].period.start == today.replace(day=1)
    assert client.get("/?month=2999-01").context["summary"].period.start == today.replace(day=1)


def _fill(user, *, size: int) -> None:
    today = user_today(user)
    account = main_account(user)
    second = make_account(user, name=f"Card {size}")
    categories = [make_category(user, name=f"Cat {number}") for number in range(size)]
    for number, category in enumerate(categories):
        make_transaction(account if number % 2 else second, amount="3.00", category=category, on=today)
        budget_for(user, category=category, amount="50")
        Goal.objects.create(user=user, name=f"Goal {number}", target_amount=Decimal("100"))
        notification_for(user, f"Alert {number}")


@pytest.mark.parametrize("size", [1, 12])
def test_the_dashboard_query_count_does_not_grow_with_the_data(client, user, django_assert_max_num_queries, size):
    _fill(user, size=size)
    with django_assert_max_num_queries(16):
        response = client.get("/")
    assert response.status_code == 200
    assert len(response.context["statuses"]) == size


def test_amounts_in_other_currencies_keep_their_own_symbol(client, user):
    euros = make_account(user, name="Euro card", currency="EUR")
    make_transaction(euros, amount="15.50", description="Croissants")
    assert "€15.50" in client.get("/transactions/").content.decode()


def test_make_user_has_a_default_account_for_the_forms(db):
    person = make_user("new@example.com")
    assert main_account(person).currency == "USD"


@pytest.mark.parametrize("path", ["/ledger/accounts/new/", "/ledger/categories/new/", "/budgets/new/", "/goals/new/"])
def test_an_empty_submitted_form_shows_what_is_missing(client, user, path):
    response = client.post(path, {})
    assert response.status_code == 200
    assert response.context["form"].errors and "Please check the fields marked below." in response.content.decode()
