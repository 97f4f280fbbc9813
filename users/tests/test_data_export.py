"""A person's right to their data: a complete export, and a complete deletion."""

import io
import json
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps

from budgetpay import personal_data
from budgetpay.models import AIDailyUsage, AIRequest
from budgetpay.testing.factories import make_account, make_category, make_transaction
from budgetpay.testing.people import TEST_PASSWORD
from budgets.models import Budget
from goals.models import Goal, GoalEntry
from notifications.services import notify, preferences_update

pytestmark = pytest.mark.django_db

# What each app registers in its ready() (budgetpay.personal_data.register).
PERSONAL_DATA = {table.name: table for table in personal_data.tables()}


def test_every_app_declares_its_tables_of_personal_data():
    assert set(PERSONAL_DATA) == {
        "profile",
        "email_addresses",
        "connected_accounts",  # users
        "accounts",
        "categories",
        "transactions",  # transactions
        "budgets",
        "goals",
        "goal_entries",  # budgets, goals
        "notifications",
        "notification_preferences",
        "delivery_settings",
        "push_subscriptions",
        "webhooks",
        "deliveries",  # notifications
        "scheduled_runs",  # notifications
        "import_jobs",  # transactions' statement imports
        "chat_conversations",
        "chat_messages",
        "chat_actions",  # chatbot
        "ai_requests",
        "ai_daily_usage",  # the platform's AI gateway
    }


@pytest.fixture
def full_ledger(user, other_user):
    for owner in (user, other_user):
        account = make_account(owner, name="Wallet")
        food = make_category(owner, name="Groceries")
        make_transaction(
            account, amount="12.34", category=food, on=date(2026, 11, 3), description=f"{owner.email} lunch"
        )
        Budget.objects.create(user=owner, category=food, amount=Decimal("100.00"), start_date=date(2026, 11, 1))
        goal = Goal.objects.create(user=owner, name="Bike", target_amount=Decimal("400.00"))
        GoalEntry.objects.create(goal=goal, amount=Decimal("10.00"), date=date(2026, 11, 3))
        notify(user=owner, type="announcement", title="Hi", message="M")
        preferences_update(user=owner, changes={"saving_tip": False})
        AIRequest.objects.create(user=owner, purpose="test")
        AIDailyUsage.objects.create(user=owner, day=date(2026, 11, 3), used=3 if owner == user else 4)


def test_json_export_has_every_table_and_only_my_rows(auth_client, user, other_user, full_ledger):
    response = auth_client.get("/api/v1/users/me/export")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert set(data) == set(PERSONAL_DATA)
    assert data["profile"][0]["email"] == user.email and "password" not in data["profile"][0]
    assert [row["amount"] for row in data["transactions"]] == ["12.34"]
    assert data["transactions"][0]["description"] == f"{user.email} lunch"
    assert len(data["goal_entries"]) == 1 and len(data["budgets"]) == 1
    assert [(row["day"], row["used"]) for row in data["ai_daily_usage"]] == [("2026-11-03", 3)]
    assert other_user.email not in response.content.decode()


def test_csv_export_is_a_zip_of_tables(auth_client, full_ledger):
    response = auth_client.get("/api/v1/users/me/export?format=csv")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert set(archive.namelist()) == {f"{table}.csv" for table in PERSONAL_DATA}
    assert "12.34" in archive.read("transactions.csv").decode()
    mine = AIDailyUsage.objects.get(used=3)
    assert archive.read("ai_daily_usage.csv").decode().splitlines() == ["id,day,used", f"{mine.pk},2026-11-03,3"]
    assert auth_client.get("/api/v1/users/me/export?format=pdf").status_code == 400


def test_deleting_the_account_leaves_nothing_of_it(auth_client, user, other_user, full_ledger):
    def counts(person):
        return {name: table.rows_of(person).count() for name, table in PERSONAL_DATA.items()}

    mine, theirs = counts(user), counts(other_user)
    assert sum(1 for count in mine.values() if count) == 11  # all but email, social and chat tables
    assert auth_client.delete("/api/v1/users/me", {"password": TEST_PASSWORD}, format="json").status_code == 204
    assert counts(user) == dict.fromkeys(PERSONAL_DATA, 0)
    assert counts(other_user) == theirs


# Tables that point at a person but are not their data to take away, and why.
NOT_EXPORTED = {
    "admin.LogEntry": "staff's record of their own changes in the admin",
    "token_blacklist.OutstandingToken": "sign-in credentials: a file of them would be a file of keys",
    "budgetpay.IdempotencyKey": "a short-lived replay cache of answers whose rows the export already holds",
}


def test_every_table_that_points_at_a_person_is_exported_or_named_as_not_their_data():
    exported = {table.model for table in PERSONAL_DATA.values()}
    user_model = PERSONAL_DATA["profile"].model
    pointing = {
        model
        for model in apps.get_models()
        if any(
            field.concrete and field.is_relation and field.related_model is user_model
            for field in model._meta.get_fields()
        )
    }
    missing = {model._meta.label for model in pointing - exported} - set(NOT_EXPORTED)
    assert missing == set(), (
        "register these in their app's ready() (budgetpay.personal_data), or add them to NOT_EXPORTED with a reason"
    )
