"""users/me, categories, transactions and the assistant through the compatibility API, in
the original's shapes: floats in and out with Decimals stored, string ids, plain bounded
lists, another person's rows as 404, and our rules (services, notifications, limits) intact."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from rest_framework.throttling import SimpleRateThrottle

from budgetpay.periods import user_today
from budgetpay.testing.compat import API
from budgetpay.testing.factories import main_account_of, make_account, make_transaction
from budgets.services import budget_create
from chatbot.models import Conversation
from notifications.models import Notification
from transactions.models import Account, Category, Transaction
from transactions.selectors import account_main

pytestmark = pytest.mark.django_db

CATEGORY_KEYS = {
    "id",
    "user_id",
    "name",
    "description",
    "default_percentage",
    "custom_percentage",
    "is_default",
    "is_fixed",
    "color",
}
TRANSACTION_KEYS = {"id", "user_id", "description", "amount", "category_id", "transaction_date"}

DATA_CALLS = [
    ("get", "/users/me"),
    ("patch", "/users/me"),
    ("post", "/users/deactivate"),
    ("get", "/categories"),
    ("post", "/categories"),
    ("get", "/categories/1"),
    ("patch", "/categories/1"),
    ("delete", "/categories/1"),
    ("get", "/transactions"),
    ("post", "/transactions"),
    ("get", "/transactions/1"),
    ("patch", "/transactions/1"),
    ("delete", "/transactions/1"),
    ("post", "/chatbot/ask"),
]


def category(user, name: str = "Food") -> Category:
    return Category.objects.get(user=user, name=name, kind=Category.Kind.EXPENSE)


@pytest.mark.parametrize(("method", "path"), DATA_CALLS)
def test_every_data_call_needs_a_token(api_client, method, path):
    response = getattr(api_client, method)(f"{API}{path}", {}, format="json")
    assert (response.status_code, response.json()) == (401, {"detail": "Not authenticated"})
    assert response["WWW-Authenticate"] == "Bearer"


# --- The person -------------------------------------------------------------------------------


def test_users_me_in_the_original_shape(compat_client, user):
    user.monthly_income = Decimal("4200.50")
    user.save()
    assert compat_client.get(f"{API}/users/me").json() == {
        "id": str(user.pk),
        "email": "ada@example.com",
        "is_active": True,
        "is_superuser": False,
        "is_verified": False,
        "full_name": "Ada Lovelace",
        "monthly_income": 4200.5,
        "savings_goal_amount": None,
        "savings_goal_deadline": None,
    }


def test_the_settings_page_saves_income_and_the_monthly_savings_goal(compat_client, user):
    # What the client's settings page sends: numbers turned into strings, the deadline at 23:59:59.
    body = {
        "full_name": "Ada King",
        "monthly_income": "5000.25",
        "savings_goal_amount": "750",
        "savings_goal_deadline": "2026-12-31T23:59:59",
    }
    response = compat_client.patch(f"{API}/users/me", body, format="json")
    assert response.status_code == 200
    person = response.json()
    assert (person["full_name"], person["monthly_income"], person["savings_goal_amount"]) == (
        "Ada King",
        5000.25,
        750.0,
    )
    user.refresh_from_db()
    assert (user.full_name, user.monthly_income, user.monthly_savings_goal) == (
        "Ada King",
        Decimal("5000.25"),
        Decimal("750.00"),
    )
    # Numbers work too, read through their repr: 0.1 is 0.10, not 0.1000000000000000055...
    assert (
        compat_client.patch(f"{API}/users/me", {"monthly_income": 0.1}, format="json").json()["monthly_income"] == 0.1
    )
    user.refresh_from_db()
    assert user.monthly_income == Decimal("0.10")
    cleared = compat_client.patch(f"{API}/users/me", {"savings_goal_amount": None}, format="json")
    assert cleared.json()["savings_goal_amount"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"monthly_income": -1}, "monthly_income"),
        ({"monthly_income": "1e3"}, "monthly_income"),
        ({"monthly_income": 0.1 + 0.2}, "monthly_income"),
        ({"monthly_income": None}, "monthly_income"),
        ({"savings_goal_amount": "lots"}, "savings_goal_amount"),
        ({"savings_goal_deadline": "someday"}, "savings_goal_deadline"),
        ({"full_name": "x" * 151}, "full_name"),
    ],
)
def test_bad_profile_input_is_a_422_naming_the_field(compat_client, user, body, field):
    response = compat_client.patch(f"{API}/users/me", body, format="json")
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", field] and problem["msg"]
    user.refresh_from_db()
    assert user.monthly_income == Decimal("0.00")


def test_an_empty_update_is_the_originals_400(compat_client):
    response = compat_client.patch(f"{API}/users/me", {}, format="json")
    assert (response.status_code, response.json()) == (400, {"detail": "No fields provided for update"})


def test_deleting_the_account_is_not_offered_here(compat_client, user):
    response = compat_client.delete(f"{API}/users/me")
    assert (response.status_code, response.json()) == (405, {"detail": "Method Not Allowed"})
    assert type(user).objects.filter(pk=user.pk).exists()


def test_deactivate_disables_the_account_and_every_token(compat_client, auth_client, user):
    response = compat_client.post(f"{API}/users/deactivate")
    assert response.json() == {"message": "Account deactivated successfully", "user_id": str(user.pk)}
    user.refresh_from_db()
    assert not user.is_active
    assert compat_client.get(f"{API}/users/me").status_code == 401
    assert auth_client.get("/api/v1/users/me").status_code == 401


# --- Categories -------------------------------------------------------------------------------


def test_categories_are_the_persons_expense_categories_in_the_original_shape(compat_client, user, other_user):
    listing = compat_client.get(f"{API}/categories").json()
    assert [row["name"] for row in listing] == ["Food", "Travel", "Shopping", "Misc", "Housing"]  # no Salary
    food = category(user)
    assert listing[0] == {
        "id": str(food.pk),
        "user_id": str(user.pk),
        "name": "Food",
        "description": None,
        "default_percentage": 15.0,
        "custom_percentage": 15.0,
        "is_default": False,
        "is_fixed": False,
        "color": "#1f883d",
    }


def test_categories_are_created_edited_and_deleted_as_the_client_does(compat_client, user):
    # The client's create: both percentages the same, is_default false, the colour kept on its side.
    body = {
        "name": "Books",
        "description": "Paper and ebooks",
        "default_percentage": 12.5,
        "custom_percentage": 12.5,
        "is_default": False,
    }
    created = compat_client.post(f"{API}/categories", body, format="json")
    assert created.status_code == 201
    books = created.json()
    assert set(books) == CATEGORY_KEYS
    assert (books["name"], books["default_percentage"], books["custom_percentage"]) == ("Books", 12.5, 12.5)
    stored = Category.objects.get(pk=int(books["id"]))
    assert (stored.user, stored.kind, stored.income_percentage) == (user, "expense", Decimal("12.50"))

    # The client's edit sends custom_percentage (and the name and description).
    edited = compat_client.patch(
        f"{API}/categories/{books['id']}",
        {"name": "Books & comics", "description": "", "custom_percentage": 10},
        format="json",
    )
    assert edited.status_code == 200
    assert (edited.json()["name"], edited.json()["custom_percentage"]) == ("Books & comics", 10.0)
    assert compat_client.get(f"{API}/categories/{books['id']}").json() == edited.json()

    assert compat_client.delete(f"{API}/categories/{books['id']}").status_code == 204
    assert compat_client.get(f"{API}/categories/{books['id']}").json() == {"detail": "Category not found"}


def test_a_share_that_does_not_fit_is_a_400_saying_which_to_lower(compat_client, user):
    # The starter categories plan 70 % of income; the original allowed more than 100 % in all.
    response = compat_client.post(f"{API}/categories", {"name": "Hobby", "default_percentage": 40}, format="json")
    assert response.status_code == 400
    assert "at most 30%" in response.json()["detail"] and "Housing 30%" in response.json()["detail"]
    assert not Category.objects.filter(user=user, name="Hobby").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"default_percentage": 10}, "name"),
        ({"name": "X"}, "default_percentage"),
        ({"name": "X", "default_percentage": 101}, "default_percentage"),
        ({"name": "X", "default_percentage": 12.345}, "default_percentage"),
        ({"name": "X", "default_percentage": "ten"}, "default_percentage"),
        ({"name": "X", "default_percentage": 1, "is_fixed": "maybe"}, "is_fixed"),
    ],
)
def test_bad_category_input_is_a_422_naming_the_field(compat_client, body, field):
    response = compat_client.post(f"{API}/categories", body, format="json")
    assert response.status_code == 422
    assert [problem["loc"] for problem in response.json()["detail"]] == [["body", field]]


def test_another_persons_category_or_an_income_category_is_not_found(compat_client, user, other_user):
    theirs = category(other_user)
    salary = Category.objects.get(user=user, kind=Category.Kind.INCOME)
    for pk in (theirs.pk, salary.pk, "abc", "99999999999999999999"):
        for method in ("get", "patch", "delete"):
            response = getattr(compat_client, method)(f"{API}/categories/{pk}", {"name": "Mine"}, format="json")
            assert (response.status_code, response.json()) == (404, {"detail": "Category not found"})
    theirs.refresh_from_db()
    assert theirs.name == "Food"


# --- Transactions -----------------------------------------------------------------------------


def test_the_list_is_the_persons_expenses_in_their_currency_newest_first(compat_client, user, main_account, other_user):
    account = main_account
    food = category(user)
    older = make_transaction(account, amount="4.50", on=date(2025, 5, 1), category=food, description="Coffee")
    newer = make_transaction(account, amount="1234.56", on=date(2025, 5, 3), description="Laptop")
    make_transaction(account, amount="3000", kind="income", on=date(2025, 5, 4))
    make_transaction(make_account(user, name="Euro card", currency="EUR"), amount="9", on=date(2025, 5, 5))
    make_transaction(main_account_of(other_user), amount="7", on=date(2025, 5, 6))

    listing = compat_client.get(f"{API}/transactions").json()
    assert listing == [
        {
            "id": str(newer.pk),
            "user_id": str(user.pk),
            "description": "Laptop",
            "amount": 1234.56,
            "category_id": None,
            "transaction_date": "2025-05-03T00:00:00",
        },
        {
            "id": str(older.pk),
            "user_id": str(user.pk),
            "description": "Coffee",
            "amount": 4.5,
            "category_id": str(food.pk),
            "transaction_date": "2025-05-01T00:00:00",
        },
    ]


def test_lists_are_bounded(compat_client, user, main_account, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr("budgetpay.compat.views.MAX_ROWS", 3)
    account = main_account
    rows = [make_transaction(account, on=date(2025, 1, 1) + timedelta(days=day)) for day in range(5)]
    with django_assert_max_num_queries(3):
        listing = compat_client.get(f"{API}/transactions").json()
    assert [row["id"] for row in listing] == [str(tx.pk) for tx in rows[:1:-1]]
    assert len(compat_client.get(f"{API}/categories").json()) == 3


def test_add_edit_and_delete_a_transaction_as_the_client_does(
    compat_client, user, main_account, django_capture_on_commit_callbacks
):
    food = category(user)
    budget_create(user=user, amount=Decimal("10.00"), category=food)
    today = user_today(user)
    body = {
        "description": "Groceries",
        "amount": 12.3,
        "category_id": str(food.pk),
        "transaction_date": f"{today.isoformat()}T00:00:00",
    }
    with django_capture_on_commit_callbacks(execute=True):
        created = compat_client.post(f"{API}/transactions", body, format="json")
    assert created.status_code == 201
    row = created.json()
    assert set(row) == TRANSACTION_KEYS
    assert (row["amount"], row["category_id"], row["transaction_date"]) == (
        12.3,
        str(food.pk),
        body["transaction_date"],
    )
    tx = Transaction.objects.get(pk=int(row["id"]))
    assert (tx.kind, tx.amount, tx.date, tx.account) == ("expense", Decimal("12.30"), today, main_account)
    # Budgets see it as any expense: the Food budget of 10 is exceeded, and the person is told.
    assert Notification.objects.filter(user=user, type="budget_exceeded").exists()

    # The client's edit sends every field again; "uncategorized" is null.
    edited = compat_client.patch(
        f"{API}/transactions/{row['id']}",
        {
            "description": "Groceries (market)",
            "amount": 15,
            "category_id": None,
            "transaction_date": "2025-06-03T00:00:00",
        },
        format="json",
    )
    assert edited.status_code == 200
    assert edited.json() == {
        **row,
        "description": "Groceries (market)",
        "amount": 15.0,
        "category_id": None,
        "transaction_date": "2025-06-03T00:00:00",
    }
    tx.refresh_from_db()
    assert (tx.amount, tx.category, tx.date) == (Decimal("15.00"), None, date(2025, 6, 3))
    assert compat_client.get(f"{API}/transactions/{row['id']}").json() == edited.json()

    assert compat_client.delete(f"{API}/transactions/{row['id']}").status_code == 204
    assert not Transaction.objects.filter(pk=tx.pk).exists()
    assert compat_client.get(f"{API}/transactions/{row['id']}").json() == {"detail": "Transaction not found"}


def test_an_aware_time_is_the_day_where_the_person_lives(compat_client, user):
    user.timezone = "Asia/Kolkata"
    user.save()
    body = {"description": "Chai", "amount": 1, "transaction_date": "2025-06-01T20:00:00Z"}
    row = compat_client.post(f"{API}/transactions", body, format="json").json()
    assert row["transaction_date"] == "2025-06-02T00:00:00"  # 01:30 on the 2nd in Kolkata
    day_only = compat_client.post(f"{API}/transactions", {**body, "transaction_date": "2025-06-05"}, format="json")
    assert day_only.json()["transaction_date"] == "2025-06-05T00:00:00"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 0.1 + 0.2}, "amount"),
        ({"amount": 1e20}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": True}, "amount"),
        ({"transaction_date": "yesterday"}, "transaction_date"),
        ({"transaction_date": "1850-01-01T00:00:00"}, "transaction_date"),
        ({"transaction_date": "2" * 5000}, "transaction_date"),
        ({"category_id": "food"}, "category_id"),
        ({"description": "x" * 256}, "description"),
    ],
)
def test_bad_transaction_input_is_a_422_naming_the_field(compat_client, user, change, field):
    body = {"description": "Coffee", "amount": 3.5, "transaction_date": "2025-06-02T00:00:00", **change}
    response = compat_client.post(f"{API}/transactions", body, format="json")
    assert response.status_code == 422
    assert [problem["loc"] for problem in response.json()["detail"]] == [["body", field]]
    assert not Transaction.objects.filter(user=user).exists()


def test_malformed_json_is_fastapis_422(compat_client):
    response = compat_client.generic("POST", f"{API}/transactions", "{not json", content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {"detail": [{"type": "json_invalid", "loc": ["body", 0], "msg": "JSON decode error"}]}


def test_someone_elses_category_in_the_body_is_a_400(compat_client, user, other_user):
    body = {
        "description": "Coffee",
        "amount": 3.5,
        "transaction_date": "2025-06-02T00:00:00",
        "category_id": str(category(other_user).pk),
    }
    response = compat_client.post(f"{API}/transactions", body, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "category_id: choose one of your own categories."},
    )


def test_another_persons_transaction_income_or_another_currency_is_not_found(
    compat_client, user, main_account, other_user
):
    theirs = make_transaction(main_account_of(other_user), amount="7")
    income = make_transaction(main_account, amount="3000", kind="income")
    euros = make_transaction(make_account(user, name="Euro card", currency="EUR"), amount="9")
    for tx in (theirs, income, euros):
        for method in ("get", "patch", "delete"):
            response = getattr(compat_client, method)(f"{API}/transactions/{tx.pk}", {"amount": 1}, format="json")
            assert (response.status_code, response.json()) == (404, {"detail": "Transaction not found"})
        assert Transaction.objects.get(pk=tx.pk).amount == tx.amount


def test_without_an_open_account_in_their_currency_the_person_is_told_what_to_do(compat_client, user):
    Account.objects.filter(user=user).update(is_archived=True)
    body = {"description": "Coffee", "amount": 3.5, "transaction_date": "2025-06-02T00:00:00"}
    response = compat_client.post(f"{API}/transactions", body, format="json")
    assert response.status_code == 400 and "no open account in USD" in response.json()["detail"]


def test_new_expenses_go_to_the_first_open_account_in_the_persons_currency(user, main_account):
    assert account_main(user=user) == main_account
    card = make_account(user, name="Card")
    Account.objects.filter(pk=main_account.pk).update(is_archived=True)
    assert account_main(user=user) == card


# --- The assistant ----------------------------------------------------------------------------


def test_the_chatbot_answers_from_our_assistant(compat_client, user, main_account, ai_off):
    make_transaction(main_account, amount="20", category=category(user), on=user_today(user))
    response = compat_client.post(
        f"{API}/chatbot/ask", {"query": "How much did I spend on food this month?"}, format="json"
    )
    assert response.status_code == 200
    assert set(response.json()) == {"response"} and "20" in response.json()["response"]
    assert Conversation.objects.filter(user=user).count() == 1


def test_an_empty_question_is_a_422(compat_client, ai_off):
    for body in ({}, {"query": "  "}, {"query": "x" * 4001}):
        response = compat_client.post(f"{API}/chatbot/ask", body, format="json")
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "query"]


def test_the_chatbot_counts_in_the_ai_limits(compat_client, ai_off, monkeypatch, settings):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "ai", "1/min")
    assert compat_client.post(f"{API}/chatbot/ask", {"query": "hi"}, format="json").status_code == 200
    throttled = compat_client.post(f"{API}/chatbot/ask", {"query": "hi"}, format="json")
    assert throttled.status_code == 429 and throttled.has_header("Retry-After")
    assert isinstance(throttled.json()["detail"], str)

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "ai", "100/min")
    settings.AI_DAILY_LIMIT = 0
    spent = compat_client.post(f"{API}/chatbot/ask", {"query": "hi"}, format="json")
    assert spent.status_code == 429 and "daily limit" in spent.json()["detail"]
