"""The budgets' pages and the dashboard with Django's test client: the budget form (its
alert percentages judged by the budgets model, through the service), the quick-add expense
written through the ledger, the month's reports, and the dashboard's query budget."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from budgetpay.periods import user_today
from budgetpay.testing.factories import (
    main_account_of,
    make_account,
    make_budget_this_month,
    make_category,
    make_notification,
    make_transaction,
)
from budgets.models import Budget
from goals.models import Goal
from notifications.models import Notification
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


# --- Dashboard ------------------------------------------------------------------------------------------


def test_the_front_page_is_the_dashboard_once_signed_in(user):
    client = Client()
    front = client.get("/")
    assert b"Create an account" in front.content
    client.force_login(user)
    dashboard = client.get("/")
    assert dashboard.templates[0].name == "budgets/dashboard.html"
    assert b"Hello, Ada" in dashboard.content


def test_the_quick_expense_form_shows_errors_and_keeps_what_was_typed(page_client, user, main_account):
    response = page_client.post(
        "/",
        {
            "quick-kind": "expense",
            "quick-amount": "",
            "quick-date": "2026-02-30",
            "quick-description": "Farmers market",
            "quick-account": main_account.pk,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_quick-amount_error">Enter an amount.</p>' in html
    assert 'aria-invalid="true"' in html
    assert "Enter a date like 2026-01-31." in html
    assert 'value="Farmers market"' in html
    assert 'value="2026-02-30"' in html
    assert not Transaction.objects.exists()


def test_an_expense_from_the_dashboard_is_saved_through_the_ledger_and_notifies(page_client, user, main_account):
    food = make_category(user, name="Food")
    make_budget_this_month(user, category=food, amount="100.00")
    today = user_today(user)
    response = page_client.post(
        "/",
        {
            "quick-kind": "expense",
            "quick-amount": "85",
            "quick-category": food.pk,
            "quick-date": today.isoformat(),
            "quick-description": "Groceries",
            "quick-account": main_account.pk,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    tx = Transaction.objects.get()
    assert (tx.amount, tx.category, tx.kind, tx.description) == (Decimal("85.00"), food, "expense", "Groceries")
    # The rule ran because the page wrote through the service: the threshold notification exists.
    assert Notification.objects.filter(user=user, type="budget_threshold").count() == 1

    page = page_client.get("/")
    html = page.content.decode()
    assert "Expense of $85.00 saved (Food," in html
    assert 'class="budget health-warning"' in html
    assert "data-unread-badge>1</span>" in html


def test_a_new_persons_dashboard_says_what_to_do_first(page_client):
    html = page_client.get("/").content.decode()
    assert "Create a budget" in html
    assert "Add your first expense" in html
    assert "Start a goal" in html
    assert 'class="donut"' not in html


def test_the_dashboard_shows_budgets_by_health_charts_goals_and_recent_spending(page_client, user, main_account):
    today = user_today(user)
    account = main_account
    food, travel, shopping = (make_category(user, name=name) for name in ("Food", "Travel", "Shopping"))
    make_transaction(account, amount="1234.50", category=travel, on=today, description="Flights")
    make_transaction(account, amount="85.00", category=food, on=today)
    make_transaction(account, amount="10.00", category=shopping, on=today)
    make_budget_this_month(user, category=food, amount="100")
    make_budget_this_month(user, category=travel, amount="1000")
    make_budget_this_month(user, category=shopping, amount="500")
    Goal.objects.create(user=user, name="Bike", target_amount=Decimal("500"))

    response = page_client.get("/")
    html = response.content.decode()
    assert [status.health for status in response.context["statuses"]] == ["over", "warning", "ok"]
    assert "Over by $234.50" in html
    assert "$1,234.50" in html
    assert html.count('class="donut-slice"') == 3
    assert 'class="line-chart"' in html and "<polyline" in html
    assert "Bike" in html and "Flights" in html


def test_the_dashboard_shows_an_earlier_month_and_ignores_a_bad_one(page_client, user, main_account):
    today = user_today(user)
    last_month = today.replace(day=1) - timedelta(days=1)
    make_transaction(main_account, amount="42.00", on=last_month, description="Old one")
    earlier = page_client.get(f"/?month={last_month:%Y-%m}")
    assert earlier.context["summary"].period.start == last_month.replace(day=1)
    assert earlier.context["summary"].totals.spending == Decimal("42.00")
    assert page_client.get("/?month=garbage").context["summary"].period.start == today.replace(day=1)
    assert page_client.get("/?month=2999-01").context["summary"].period.start == today.replace(day=1)


def _fill(user, *, size: int) -> None:
    today = user_today(user)
    account = main_account_of(user)
    second = make_account(user, name=f"Card {size}")
    categories = [make_category(user, name=f"Cat {number}") for number in range(size)]
    for number, category in enumerate(categories):
        make_transaction(account if number % 2 else second, amount="3.00", category=category, on=today)
        make_budget_this_month(user, category=category, amount="50")
        Goal.objects.create(user=user, name=f"Goal {number}", target_amount=Decimal("100"))
        make_notification(user, f"Alert {number}")


@pytest.mark.parametrize("size", [1, 12])
def test_the_dashboard_query_count_does_not_grow_with_the_data(page_client, user, django_assert_max_num_queries, size):
    _fill(user, size=size)
    with django_assert_max_num_queries(16):
        response = page_client.get("/")
    assert response.status_code == 200
    assert len(response.context["statuses"]) == size


# --- Budgets --------------------------------------------------------------------------------------------


def test_budget_form_errors_and_creation(page_client, user):
    food = make_category(user, name="Food")
    bad = page_client.post(
        "/budgets/new/", {"category": food.pk, "amount": "", "period": "monthly", "thresholds": "80, lots"}
    )
    assert bad.status_code == 200
    errors = bad.context["form"].errors
    assert errors["amount"] == ["Enter an amount."]
    assert errors["thresholds"] == ["Use whole percentages separated by commas, e.g. 80, 100."]
    html = bad.content.decode()
    assert 'value="80, lots"' in html
    assert f'<option value="{food.pk}" selected>Food</option>' in html

    good = page_client.post(
        "/budgets/new/", {"category": food.pk, "amount": "250", "period": "monthly", "thresholds": "100, 50%"}
    )
    assert good.status_code == 302
    budget = Budget.objects.get()
    assert (budget.category, budget.amount, budget.thresholds) == (food, Decimal("250.00"), [50, 100])

    edited = page_client.post(
        f"/budgets/{budget.pk}/edit/", {"category": "", "amount": "300", "period": "weekly", "thresholds": "90"}
    )
    assert edited.status_code == 302
    budget.refresh_from_db()
    assert (budget.category, budget.period, budget.thresholds) == (None, "weekly", [90])


@pytest.mark.parametrize("thresholds", ["0, 80", "80, 80", "10, 20, 30, 40, 50, 60", "80, 1001", ", ,"])
def test_the_budget_form_shows_the_models_threshold_rule_next_to_the_field(page_client, thresholds):
    """The form only reads the numbers; which ones a budget may have is the model's rule
    (Budget.thresholds), run by the service, and its refusal lands on the field."""
    data = {"category": "", "amount": "250", "period": "monthly", "thresholds": thresholds}
    refused = page_client.post("/budgets/new/", data)
    assert refused.status_code == 200
    assert list(refused.context["form"].errors) == ["thresholds"]
    assert f'value="{thresholds}"' in refused.content.decode()
    assert not Budget.objects.exists()
