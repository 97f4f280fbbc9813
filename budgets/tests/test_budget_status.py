from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from budgetpay.testing.clock import freeze_now
from budgetpay.testing.factories import make_budget, make_transaction
from budgetpay.testing.people import client_for
from budgets.models import Budget
from budgets.selectors import BudgetNotStarted, budget_status, budget_statuses
from transactions.models import Category, Transaction

pytestmark = pytest.mark.django_db

BUDGETS = "/api/v1/budgets"
D = Decimal


def spend(account, amount: str, on: date, category=None, **extra) -> Transaction:
    return make_transaction(account, amount=amount, on=on, category=category, **extra)


def test_spending_counts_expenses_of_the_category_in_the_users_currency_within_the_period(user, books):
    food = make_budget(user, category=books.food)
    everything = make_budget(user)
    spend(books.main, "30.00", date(2026, 5, 1), books.food)
    spend(books.card, "20.00", date(2026, 5, 31), books.food)
    spend(books.main, "99.00", date(2026, 4, 30), books.food)  # previous month
    spend(books.main, "1.00", date(2026, 6, 1), books.food)  # next month
    spend(books.euro, "50.00", date(2026, 5, 10), books.food)  # other currency
    spend(books.main, "70.00", date(2026, 5, 10), books.salary, kind=Transaction.Kind.INCOME)
    spend(books.main, "40.00", date(2026, 5, 10), kind=Transaction.Kind.TRANSFER, transfer_account=books.card)
    spend(books.main, "15.00", date(2026, 5, 10), books.shopping)
    spend(books.card, "5.00", date(2026, 5, 11))  # uncategorised

    on = date(2026, 5, 15)
    assert budget_status(budget=food, on=on).spent == D("50.00")
    assert budget_status(budget=everything, on=on).spent == D("70.00")


def test_budget_numbers_midway_through_a_month(user, books):
    budget = make_budget(user, category=books.food, amount=D("300.00"), thresholds=[25, 50, 75])
    for day in (2, 3, 7):  # day-to-day purchases, each under a quarter of the budget (not one-offs)
        spend(books.main, "50.00", date(2026, 6, day), books.food)

    status = budget_status(budget=budget, on=date(2026, 6, 10))

    assert (status.period.start, status.period.end) == (date(2026, 6, 1), date(2026, 6, 30))
    assert status.available == D("300.00")
    assert status.remaining == D("150.00")
    assert status.percent_used == D("50.00")
    assert status.days_elapsed == 10
    assert status.days_left == 21
    assert status.expected_spent == D("100.00")  # 300 × 10 / 30
    assert status.pace == "ahead"
    assert status.projected_spent == D("450.00")  # 150 / 10 × 30
    assert status.daily_allowance == (D("150") / 21).quantize(D("0.01"), rounding="ROUND_DOWN")
    assert status.thresholds_crossed == [25, 50]
    assert status.health == "warning"


@pytest.mark.parametrize(
    ("spent", "pace"),
    [("50.00", "behind"), ("84.99", "behind"), ("85.00", "on_track"), ("110.00", "on_track"), ("115.01", "ahead")],
)
def test_pace_against_the_even_spending_line(user, books, spent, pace):
    # Expected by 10 June: 300 × 10 / 30 = 100; the on-track band is ±5 % of 300 = ±15.
    budget = make_budget(user, category=books.food, amount=D("300.00"))
    spend(books.main, spent, date(2026, 6, 1), books.food)
    assert budget_status(budget=budget, on=date(2026, 6, 10)).pace == pace


def test_over_budget(user, books):
    budget = make_budget(user, amount=D("300.00"))
    spend(books.main, "310.00", date(2026, 6, 30))
    status = budget_status(budget=budget, on=date(2026, 6, 30))
    assert status.remaining == D("-10.00")
    assert status.percent_used == D("103.33")
    assert status.daily_allowance == D("0.00")
    assert status.days_left == 1
    assert status.thresholds_crossed == [80, 100]
    assert status.health == "over"


def test_weeks_start_on_monday_and_years_are_calendar_years(user, books):
    weekly = make_budget(user, period=Budget.Period.WEEKLY)
    yearly = make_budget(user, period=Budget.Period.YEARLY, start_date=date(2028, 1, 1))
    spend(books.main, "1.00", date(2026, 3, 1))  # Sunday of the week before
    spend(books.main, "2.00", date(2026, 3, 2))  # Monday
    spend(books.main, "4.00", date(2026, 3, 8))  # Sunday
    spend(books.main, "8.00", date(2026, 3, 9))  # next Monday
    status = budget_status(budget=weekly, on=date(2026, 3, 8))
    assert (status.period.start, status.period.end, status.spent) == (date(2026, 3, 2), date(2026, 3, 8), D("6.00"))

    spend(books.main, "16.00", date(2028, 2, 29))
    spend(books.main, "32.00", date(2028, 12, 31))
    status = budget_status(budget=yearly, on=date(2028, 2, 29))
    assert status.period.days == 366
    assert status.spent == D("48.00")
    assert status.days_elapsed == 60


def test_rollover_carries_underspending_and_overspending(user, books):
    budget = make_budget(user, category=books.food, start_date=date(2026, 3, 10), rollover=True)
    spend(books.main, "500.00", date(2026, 2, 20), books.food)  # before the first period: ignored
    spend(books.main, "60.00", date(2026, 3, 2), books.food)  # first period is all of March
    spend(books.main, "130.00", date(2026, 4, 15), books.food)
    spend(books.main, "20.00", date(2026, 5, 15), books.food)

    march = budget_status(budget=budget, on=date(2026, 3, 31))
    assert (march.rollover, march.available, march.spent) == (D("0.00"), D("100.00"), D("60.00"))

    april = budget_status(budget=budget, on=date(2026, 4, 15))
    assert (april.rollover, april.available, april.remaining) == (D("40.00"), D("140.00"), D("10.00"))

    may = budget_status(budget=budget, on=date(2026, 5, 1))
    # April's leftover: its available 140 minus its spending 130.
    assert (may.rollover, may.available, may.remaining) == (D("10.00"), D("110.00"), D("90.00"))


def test_overspending_carries_as_a_negative_that_can_eat_the_whole_budget(user, books):
    budget = make_budget(user, start_date=date(2026, 3, 1), rollover=True)
    spend(books.main, "250.00", date(2026, 3, 5))
    status = budget_status(budget=budget, on=date(2026, 4, 5))
    assert status.rollover == D("-150.00")
    assert status.available == D("-50.00")
    assert status.remaining == D("-50.00")
    assert status.percent_used is None
    assert status.thresholds_crossed == [80, 100]
    assert status.daily_allowance == D("0.00")
    assert status.health == "over"


def test_without_rollover_nothing_carries(user, books):
    budget = make_budget(user, start_date=date(2026, 3, 1))
    spend(books.main, "10.00", date(2026, 3, 5))
    assert budget_status(budget=budget, on=date(2026, 4, 5)).rollover == D("0.00")


def test_weekly_rollover_counts_every_earlier_week(user, books):
    budget = make_budget(
        user, amount=D("50.00"), period=Budget.Period.WEEKLY, start_date=date(2026, 2, 25), rollover=True
    )
    spend(books.main, "20.00", date(2026, 2, 23))  # Monday of the first week
    spend(books.main, "70.00", date(2026, 3, 4))
    # Weeks of 23 Feb, 2 Mar and 9 Mar came before the week of 16 Mar: 3 × 50 − 90.
    assert budget_status(budget=budget, on=date(2026, 3, 16)).rollover == D("60.00")


def test_a_date_before_the_first_period_has_no_status(user):
    budget = make_budget(user, start_date=date(2026, 3, 10))
    with pytest.raises(BudgetNotStarted):
        budget_status(budget=budget, on=date(2026, 2, 28))
    assert budget_status(budget=budget, on=date(2026, 3, 1)).period.start == date(2026, 3, 1)
    assert budget_statuses(user=user, on=date(2026, 2, 28)) == []


def test_status_endpoint(auth_client, user, books):
    budget = make_budget(user, category=books.food, amount=D("300.00"), name="Food")
    for day in (2, 3, 7):
        spend(books.main, "50.00", date(2026, 6, day), books.food)
    response = auth_client.get(f"{BUDGETS}/{budget.pk}/status?date=2026-06-10")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["budget_id"] == budget.pk
    assert body["name"] == "Food"
    assert body["category"] == books.food.pk
    assert body["currency"] == "USD"
    assert (body["date"], body["period_start"], body["period_end"]) == ("2026-06-10", "2026-06-01", "2026-06-30")
    assert (body["budgeted"], body["carried_over"], body["available"]) == ("300.00", "0.00", "300.00")
    assert (body["amount"], body["rollover"]) == ("300.00", "0.00")  # the earlier names stay
    assert (body["spent"], body["remaining"], body["percent_used"]) == ("150.00", "150.00", "50.00")
    assert (body["days_left"], body["daily_allowance"], body["pace"]) == (21, "7.14", "ahead")
    assert (body["expected_spent"], body["projected_spent"], body["projection"]) == ("100.00", "450.00", "projected")
    assert (body["fixed_spent"], body["one_off_spent"], body["daily_pace"]) == ("0.00", "0.00", "15.00")
    assert body["thresholds_crossed"] == []
    assert body["health"] == "ok"


def test_status_defaults_to_today_in_the_users_timezone(monkeypatch, auth_client, user):
    user.timezone = "America/New_York"
    user.save()
    budget = make_budget(user, period=Budget.Period.WEEKLY)
    # 04:30 UTC on Monday 9 March 2026: New York has moved to EDT (UTC−4), so it is
    # 00:30 on the Monday there, the first day of a new week.
    freeze_now(monkeypatch, datetime(2026, 3, 9, 4, 30, tzinfo=UTC))
    body = auth_client.get(f"{BUDGETS}/{budget.pk}/status").json()
    assert (body["date"], body["period_start"], body["days_left"]) == ("2026-03-09", "2026-03-09", 7)


@pytest.mark.parametrize("value", ["2026-02-30", "tomorrow", "2026-6-1x", "0001-01-01", "99999-01-01"])
def test_a_bad_date_is_a_400_naming_date(auth_client, user, value):
    budget = make_budget(user)
    for url in (f"{BUDGETS}/{budget.pk}/status", f"{BUDGETS}/status"):
        response = auth_client.get(url, {"date": value})
        assert response.status_code == 400, response.json()
        assert "date" in response.json()["errors"]


def test_status_before_the_start_is_a_400_naming_date(auth_client, user):
    budget = make_budget(user, start_date=date(2026, 3, 10))
    response = auth_client.get(f"{BUDGETS}/{budget.pk}/status?date=2026-02-28")
    assert response.status_code == 400
    assert "2026-03-01" in response.json()["errors"]["date"][0]


def test_status_list_holds_every_started_budget(auth_client, user, books):
    food = make_budget(user, category=books.food, amount=D("100.00"), name="A food")
    everything = make_budget(user, amount=D("1000.00"), name="B all")
    make_budget(user, name="C later", start_date=date(2026, 7, 1))
    spend(books.main, "90.00", date(2026, 6, 3), books.food)
    spend(books.main, "200.00", date(2026, 6, 4), books.shopping)

    body = auth_client.get(f"{BUDGETS}/status?date=2026-06-10").json()

    assert body["date"] == "2026-06-10"
    assert [row["budget_id"] for row in body["results"]] == [food.pk, everything.pk]
    assert [row["spent"] for row in body["results"]] == ["90.00", "290.00"]
    assert [row["thresholds_crossed"] for row in body["results"]] == [[80], []]


@pytest.mark.parametrize("rows", [3, 30])
def test_status_list_query_count_does_not_grow_with_budgets(django_assert_max_num_queries, user, books, rows):
    categories = Category.objects.bulk_create(Category(user=user, name=f"Status cat {n}") for n in range(rows))
    Budget.objects.bulk_create(
        Budget(
            user=user,
            category=category,
            amount=D("10.00"),
            period=Budget.Period.values[n % 3],
            rollover=n % 2 == 0,
            start_date=date(2025, 1, 1),
        )
        for n, category in enumerate(categories)
    )
    for category in categories:
        spend(books.main, "3.00", date(2026, 6, 1), category)
    client = client_for(user)
    # user lookup for the token, budgets, one aggregate over the spending
    with django_assert_max_num_queries(3):
        response = client.get(f"{BUDGETS}/status?date=2026-06-01")
    assert len(response.json()["results"]) == rows
    assert {row["spent"] for row in response.json()["results"]} == {"3.00"}
