"""Every date a person sends is held to 1900-01-01 … 2199-12-31 (budgetpay.validators):
through the API's bodies and query parameters, the pages' forms, statement imports and
the assistant's tools. Dates in year 1 used to answer 500 on every expense write path
(the large-expense rule's 90-day look-back left what `datetime.date` can hold)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from budgetpay.testing.chat import send
from budgetpay.testing.factories import make_transaction
from budgetpay.validators import USER_DATE_MESSAGE
from budgets.models import Budget
from chatbot.models import Message, ProposedAction
from goals.models import Goal, GoalEntry
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

# The last days the look-back overflowed on, the first day past the window, and a
# far end; every one must be a 400 naming the field, never a 500 or a saved row.
OUT_OF_RANGE = ["0001-01-01", "0001-03-31", "1899-12-31", "2200-01-01", "9999-12-31"]


def assert_refused(response, field: str) -> None:
    assert response.status_code == 400, response
    body = response.json()
    assert body["errors"][field] == [USER_DATE_MESSAGE], body
    assert body["message"] == f"{field}: {USER_DATE_MESSAGE}"


# --- API bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_creating_a_transaction_refuses_a_date_outside_the_window(auth_client, main_account, food, value):
    body = {"account": main_account.pk, "amount": "12.50", "kind": "expense", "category": food.pk, "date": value}
    assert_refused(auth_client.post("/api/v1/transactions", body, format="json"), "date")
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_editing_a_transaction_refuses_a_date_outside_the_window(auth_client, main_account, value):
    tx = make_transaction(main_account, amount="5.00")
    assert_refused(auth_client.patch(f"/api/v1/transactions/{tx.pk}", {"date": value}, format="json"), "date")
    tx.refresh_from_db()
    assert str(tx.date) != value


@pytest.mark.parametrize("value", ["1900-01-01", "2199-12-31"])
def test_the_edges_of_the_window_are_accepted_on_every_expense_path(auth_client, main_account, food, value):
    body = {"account": main_account.pk, "amount": "12.50", "kind": "expense", "category": food.pk, "date": value}
    created = auth_client.post("/api/v1/transactions", body, format="json")
    assert created.status_code == 201, created.content
    path = f"/api/v1/transactions/{created.json()['id']}"
    assert auth_client.patch(path, {"amount": "13.00"}, format="json").status_code == 200
    assert auth_client.delete(path).status_code == 204


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_a_budget_start_date_outside_the_window_is_refused(auth_client, value):
    response = auth_client.post("/api/v1/budgets", {"amount": "100.00", "start_date": value}, format="json")
    assert_refused(response, "start_date")
    assert not Budget.objects.exists()


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_goal_dates_outside_the_window_are_refused(auth_client, user, value):
    body = {"name": "Bike", "target_amount": "500.00", "target_date": value}
    assert_refused(auth_client.post("/api/v1/goals", body, format="json"), "target_date")
    saved = Goal.objects.create(user=user, name="Laptop", target_amount="900.00")
    assert_refused(auth_client.patch(f"/api/v1/goals/{saved.pk}", {"target_date": value}, format="json"), "target_date")
    entry = auth_client.post(f"/api/v1/goals/{saved.pk}/entries", {"amount": "10.00", "date": value}, format="json")
    assert_refused(entry, "date")
    assert not GoalEntry.objects.exists()


# --- API query parameters -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/transactions", "date_from"),
        ("/api/v1/transactions", "date_to"),
        ("/api/v1/transactions/export", "date_from"),
        ("/api/v1/transactions/export", "date_to"),
        ("/api/v1/budgets/status", "date"),
        ("/api/v1/reports/summary", "date"),
        ("/api/v1/reports/cashflow", "date_from"),
        ("/api/v1/reports/cashflow", "date_to"),
        ("/api/v1/goals/progress", "date"),
    ],
)
@pytest.mark.parametrize("value", ["0001-01-01", "2200-01-01"])
def test_date_query_parameters_outside_the_window_are_400(auth_client, path, parameter, value):
    response = auth_client.get(path, {parameter: value})
    assert_refused(response, parameter)


def test_one_budgets_status_refuses_a_date_outside_the_window(auth_client, user):
    budget = Budget.objects.create(user=user, amount="100.00", start_date="2026-01-01")
    assert_refused(auth_client.get(f"/api/v1/budgets/{budget.pk}/status", {"date": "2200-01-01"}), "date")


# --- Pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0001-01-15", "2200-01-01"])
def test_the_transaction_page_shows_the_window_next_to_the_date(page_client, main_account, food, value):
    data = {"kind": "expense", "amount": "12.50", "category": food.pk, "date": value, "account": main_account.pk}
    response = page_client.post("/transactions/new/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["date"] == [USER_DATE_MESSAGE]
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("value", ["0001-01-15", "2200-01-01"])
def test_editing_on_the_page_refuses_a_date_outside_the_window(page_client, main_account, food, value):
    tx = make_transaction(main_account, amount="5.00", category=food)
    data = {"kind": "expense", "amount": "5.00", "category": food.pk, "date": value, "account": main_account.pk}
    response = page_client.post(f"/transactions/{tx.pk}/edit/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["date"] == [USER_DATE_MESSAGE]


@pytest.mark.parametrize("value", ["0001-01-15", "2200-01-01"])
def test_the_goal_pages_refuse_dates_outside_the_window(page_client, user, value):
    response = page_client.post("/goals/new/", {"name": "Bike", "target_amount": "500.00", "target_date": value})
    assert response.status_code == 200
    assert response.context["form"].errors["target_date"] == [USER_DATE_MESSAGE]
    goal = Goal.objects.create(user=user, name="Laptop", target_amount="900.00")
    entry = page_client.post(f"/goals/{goal.pk}/money/", {"kind": "contribution", "amount": "10.00", "date": value})
    assert entry.status_code == 200
    assert entry.context["form"].errors["date"] == [USER_DATE_MESSAGE]
    assert not GoalEntry.objects.exists() and list(Goal.objects.values_list("name", flat=True)) == ["Laptop"]


# --- Imports ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date_format", "early", "fine", "late"),
    [
        (None, "0001-01-15", "2026-02-01", "2200-01-01"),  # recognised ISO dates
        (None, "15.01.0001", "01.02.2026", "01.01.2200"),  # recognised dotted dates
        ("DD/MM/YYYY", "15/01/0001", "01/02/2026", "01/01/2200"),  # a named format
        ("%d %b %Y", "15 Jan 0001", "01 Feb 2026", "01 Jan 2200"),  # a pattern of the person's own
    ],
)
def test_an_imported_row_outside_the_window_is_a_row_error_naming_its_line(
    auth_client, main_account, date_format, early, fine, late
):
    content = f"Date,Description,Amount\n{early},Ancient,-1.00\n{fine},Fine,-2.00\n{late},Future,-3.00\n"
    upload = SimpleUploadedFile("statement.csv", content.encode(), content_type="text/csv")
    fields = {"file": upload, "account": main_account.pk, **({"date_format": date_format} if date_format else {})}
    response = auth_client.post("/api/v1/transactions/import", fields)
    assert response.status_code == 201, response.content
    report = response.json()
    assert report["errors"] == [
        {"row": 2, "errors": {"date": [USER_DATE_MESSAGE]}},
        {"row": 4, "errors": {"date": [USER_DATE_MESSAGE]}},
    ]
    assert list(Transaction.objects.values_list("description", flat=True)) == ["Fine"]


def test_the_import_page_names_the_line_of_a_date_outside_the_window(page_client, main_account):
    content = b"Date,Description,Amount\n2026-02-01,Fine,-2.00\n0001-01-15,Ancient,-1.00\n"
    upload = SimpleUploadedFile("statement.csv", content, content_type="text/csv")
    response = page_client.post("/transactions/import/", {"account": main_account.pk, "file": upload})
    assert response.status_code == 200
    assert response.context["errors_shown"] == [{"row": 3, "errors": {"date": [USER_DATE_MESSAGE]}}]
    assert list(Transaction.objects.values_list("description", flat=True)) == ["Fine"]


# --- The assistant ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0001-01-15", "2200-01-01"])
def test_the_assistant_cannot_propose_a_date_outside_the_window(auth_client, fake_openrouter, value):
    fake_openrouter.reply_tool_call(
        "propose_transaction_change", {"operation": "create", "amount": 12.50, "description": "lunch", "date": value}
    )
    fake_openrouter.reply_text("That date cannot be used.")
    response = send(auth_client, f"add 12.50 for lunch on {value}")
    assert response.status_code == 201, response.content
    assert not ProposedAction.objects.exists()
    result = json.loads(Message.objects.get(role="tool").content)
    assert USER_DATE_MESSAGE in result["error"]


@pytest.mark.parametrize(("date_from", "date_to"), [("0001-01-01", "0001-03-31"), ("2199-12-01", "2200-01-31")])
def test_the_assistants_date_ranges_keep_to_the_window(auth_client, fake_openrouter, date_from, date_to):
    fake_openrouter.reply_tool_call("spending_summary", {"date_from": date_from, "date_to": date_to})
    fake_openrouter.reply_text("That range cannot be used.")
    response = send(auth_client, "what did I spend then?")
    assert response.status_code == 201, response.content
    result = json.loads(Message.objects.get(role="tool").content)
    assert USER_DATE_MESSAGE in result["error"]


def test_the_rules_without_ai_answer_with_the_window_and_propose_nothing(auth_client, ai_off):
    response = send(auth_client, "add 5 coffee on 0001-01-15")
    assert response.status_code == 201, response.content
    assert USER_DATE_MESSAGE in response.json()["reply"]["content"]
    assert not ProposedAction.objects.exists()


@pytest.mark.parametrize("month", ["0001-01", "0001-03", "1899-12"])
def test_the_dashboard_shows_this_month_for_a_month_outside_the_window(page_client, main_account, month):
    make_transaction(main_account, amount="7.00")
    response = page_client.get("/", {"month": month})
    assert response.status_code == 200
    assert response.context["summary"].period == page_client.get("/").context["summary"].period
