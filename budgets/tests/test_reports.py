from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from budgetpay.testing.clock import freeze_now
from budgetpay.testing.factories import make_account, make_category, make_transaction
from budgetpay.testing.people import client_for, make_user
from budgets.models import Budget
from transactions.models import Category, Transaction

pytestmark = pytest.mark.django_db

SUMMARY = "/api/v1/reports/summary"
CASHFLOW = "/api/v1/reports/cashflow"
INCOME, EXPENSE, TRANSFER = Transaction.Kind.INCOME, Transaction.Kind.EXPENSE, Transaction.Kind.TRANSFER


def tx(account, amount: str, on: date, kind: str = EXPENSE, category=None, **extra) -> Transaction:
    return make_transaction(account, amount=amount, kind=kind, on=on, category=category, **extra)


@pytest.fixture
def february(books):
    """A February 2028 (a leap year) and the January before it."""
    tx(books.main, "3000.00", date(2028, 2, 1), INCOME, books.salary)
    tx(books.main, "120.00", date(2028, 2, 3), category=books.food)
    tx(books.card, "80.00", date(2028, 2, 29), category=books.food)
    tx(books.card, "50.00", date(2028, 2, 14), category=books.shopping)
    tx(books.main, "25.00", date(2028, 2, 14))  # uncategorised
    tx(books.main, "500.00", date(2028, 2, 10), TRANSFER, transfer_account=books.card)
    tx(books.euro, "40.00", date(2028, 2, 12), category=books.food)
    tx(books.euro, "15.50", date(2028, 2, 13), category=books.food)
    tx(books.euro, "100.00", date(2028, 2, 20), INCOME)
    tx(books.main, "2000.00", date(2028, 1, 31), INCOME, books.salary)
    tx(books.main, "100.00", date(2028, 1, 2), category=books.food)
    tx(books.main, "7.00", date(2028, 3, 1), category=books.food)  # after the period
    return books


def test_month_summary(auth_client, february, user):
    budget = Budget.objects.create(
        user=user, category=february.food, amount=Decimal("250.00"), start_date=date(2028, 1, 1)
    )
    response = auth_client.get(SUMMARY, {"period": "month", "date": "2028-02-29"})
    assert response.status_code == 200, response.json()
    body = response.json()

    assert (body["period"], body["date"]) == ("month", "2028-02-29")
    assert (body["start"], body["end"]) == ("2028-02-01", "2028-02-29")
    assert body["currency"] == "USD"
    assert (body["income"], body["spending"], body["net"]) == ("3000.00", "275.00", "2725.00")

    lines = [(line["name"], line["category"], line["spending"], line["share"]) for line in body["by_category"]]
    assert lines == [
        ("Groceries", february.food.pk, "200.00", "72.73"),
        ("Gadgets", february.shopping.pk, "50.00", "18.18"),
        ("Uncategorised", None, "25.00", "9.09"),
    ]
    assert body["uncategorised_spending"] == "25.00"
    assert [line["name"] for line in body["top_categories"]] == ["Groceries", "Gadgets"]
    food_budget = body["by_category"][0]["budget"]
    assert (food_budget["budget_id"], food_budget["spent"], food_budget["remaining"]) == (budget.pk, "200.00", "50.00")
    assert food_budget["health"] == "warning"
    assert body["by_category"][1]["budget"] is None
    assert body["budget"] is None

    assert len(body["days"]) == 29
    assert body["days"][0] == {"date": "2028-02-01", "income": "3000.00", "spending": "0.00"}
    assert body["days"][1] == {"date": "2028-02-02", "income": "0.00", "spending": "0.00"}
    assert body["days"][28] == {"date": "2028-02-29", "income": "0.00", "spending": "80.00"}

    previous = body["previous"]
    assert (previous["start"], previous["end"]) == ("2028-01-01", "2028-01-31")
    assert (previous["income"], previous["spending"], previous["net"]) == ("2000.00", "100.00", "1900.00")
    assert previous["income_change"] == "50.00"
    assert previous["spending_change"] == "175.00"
    assert previous["net_change"] == "43.42"

    assert body["other_currencies"] == [{"currency": "EUR", "income": "100.00", "spending": "55.50", "net": "44.50"}]


def test_changes_are_null_when_the_previous_period_is_zero(auth_client, books):
    tx(books.main, "10.00", date(2026, 6, 3))
    previous = auth_client.get(SUMMARY, {"period": "week", "date": "2026-06-03"}).json()["previous"]
    assert (previous["start"], previous["end"]) == ("2026-05-25", "2026-05-27")  # Monday to Wednesday
    assert previous["spending_change"] is None
    assert previous["income_change"] is None
    assert previous["net_change"] is None


def test_net_change_is_relative_to_the_size_of_a_negative_previous_net(auth_client, books):
    tx(books.main, "100.00", date(2026, 5, 3))
    tx(books.main, "50.00", date(2026, 6, 3))
    previous = auth_client.get(SUMMARY, {"period": "month", "date": "2026-06-03"}).json()["previous"]
    assert previous["net"] == "-100.00"
    assert previous["net_change"] == "50.00"  # from −100 to −50: half as bad


def test_year_summary_and_all_spending_budget(auth_client, user, books):
    Budget.objects.create(user=user, amount=Decimal("100.00"), period=Budget.Period.YEARLY, start_date=date(2027, 1, 1))
    tx(books.main, "120.00", date(2027, 12, 31))
    body = auth_client.get(SUMMARY, {"period": "year", "date": "2027-06-01"}).json()
    assert (body["start"], body["end"], len(body["days"])) == ("2027-01-01", "2027-12-31", 365)
    assert body["budget"]["health"] == "over"
    assert body["budget"]["remaining"] == "-20.00"


def test_top_categories_are_the_five_largest(auth_client, user, books):
    for n in range(7):
        category = make_category(user, name=f"Top {n}")
        tx(books.main, f"{n + 1}.00", date(2026, 6, 1), category=category)
    tx(books.main, "100.00", date(2026, 6, 1))  # uncategorised is a line, not a category
    body = auth_client.get(SUMMARY, {"period": "month", "date": "2026-06-15"}).json()
    assert [line["name"] for line in body["top_categories"]] == ["Top 6", "Top 5", "Top 4", "Top 3", "Top 2"]
    assert body["by_category"][0]["name"] == "Uncategorised"
    assert len(body["by_category"]) == 8


def test_summary_defaults_to_this_month_in_the_users_timezone(monkeypatch, books, user):
    auckland = make_user("kiri@example.com", timezone="Pacific/Auckland")
    new_york = make_user("ny@example.com", timezone="America/New_York")
    # 04:30 UTC on 1 March 2026: 17:30 on 1 March in Auckland, 23:30 on 28 February in New York.
    freeze_now(monkeypatch, datetime(2026, 3, 1, 4, 30, tzinfo=UTC))
    assert client_for(auckland).get(SUMMARY).json()["start"] == "2026-03-01"
    assert client_for(new_york).get(SUMMARY).json()["start"] == "2026-02-01"


def test_another_users_ledger_never_counts(auth_client, books, other_user):
    theirs = make_account(other_user, name="Theirs", currency="USD")
    tx(theirs, "999.00", date(2026, 6, 1))
    tx(theirs, "999.00", date(2026, 6, 1), INCOME)
    tx(books.main, "1.00", date(2026, 6, 1))
    body = auth_client.get(SUMMARY, {"date": "2026-06-01"}).json()
    assert (body["income"], body["spending"]) == ("0.00", "1.00")
    cashflow = auth_client.get(CASHFLOW, {"granularity": "month", "date_from": "2026-06-01", "date_to": "2026-06-30"})
    assert cashflow.json()["results"][0]["spending"] == "1.00"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "fortnight"}, "period"),
        ({"date": "2026-02-30"}, "date"),
        ({"date": "1800-01-01"}, "date"),
    ],
)
def test_bad_summary_parameters(auth_client, params, field):
    response = auth_client.get(SUMMARY, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_wrong_report_period_lists_the_allowed_ones(auth_client):
    response = auth_client.get(SUMMARY, {"period": "day"})
    assert "week, month, year" in response.json()["errors"]["period"][0]


def test_daily_cashflow_is_zero_filled(auth_client, books):
    tx(books.main, "10.00", date(2028, 2, 28))
    tx(books.main, "500.00", date(2028, 2, 29), INCOME)
    tx(books.main, "3.00", date(2028, 2, 29))
    tx(books.main, "99.00", date(2028, 3, 2), TRANSFER, transfer_account=books.card)
    tx(books.euro, "99.00", date(2028, 3, 2))
    response = auth_client.get(CASHFLOW, {"granularity": "day", "date_from": "2028-02-28", "date_to": "2028-03-02"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["granularity"], body["currency"]) == ("day", "USD")
    assert body["results"] == [
        {"start": "2028-02-28", "end": "2028-02-28", "income": "0.00", "spending": "10.00", "net": "-10.00"},
        {"start": "2028-02-29", "end": "2028-02-29", "income": "500.00", "spending": "3.00", "net": "497.00"},
        {"start": "2028-03-01", "end": "2028-03-01", "income": "0.00", "spending": "0.00", "net": "0.00"},
        {"start": "2028-03-02", "end": "2028-03-02", "income": "0.00", "spending": "0.00", "net": "0.00"},
    ]


def test_weekly_and_monthly_buckets_are_cut_to_the_range(auth_client, books):
    tx(books.main, "1.00", date(2026, 2, 27))  # before the range
    tx(books.main, "2.00", date(2026, 3, 1))
    tx(books.main, "4.00", date(2026, 3, 2))
    tx(books.main, "8.00", date(2026, 4, 30))
    weekly = auth_client.get(CASHFLOW, {"granularity": "week", "date_from": "2026-03-01", "date_to": "2026-03-10"})
    assert [(b["start"], b["end"], b["spending"]) for b in weekly.json()["results"]] == [
        ("2026-03-01", "2026-03-01", "2.00"),
        ("2026-03-02", "2026-03-08", "4.00"),
        ("2026-03-09", "2026-03-10", "0.00"),
    ]
    monthly = auth_client.get(CASHFLOW, {"granularity": "month", "date_from": "2026-02-28", "date_to": "2026-04-30"})
    assert [(b["start"], b["end"], b["spending"]) for b in monthly.json()["results"]] == [
        ("2026-02-28", "2026-02-28", "0.00"),
        ("2026-03-01", "2026-03-31", "6.00"),
        ("2026-04-01", "2026-04-30", "8.00"),
    ]


def test_cashflow_defaults_to_twelve_months_to_today(monkeypatch, auth_client):
    freeze_now(monkeypatch, datetime(2026, 6, 15, 12, tzinfo=UTC))
    body = auth_client.get(CASHFLOW).json()
    assert (body["granularity"], body["date_from"], body["date_to"]) == ("month", "2025-07-01", "2026-06-15")
    assert len(body["results"]) == 12


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"granularity": "hour"}, "granularity"),
        ({"granularity": "day", "date_from": "2020-01-01", "date_to": "2026-01-01"}, "date_from"),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "date_from"),
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"date_to": "someday"}, "date_to"),
    ],
)
def test_bad_cashflow_parameters(auth_client, params, field):
    response = auth_client.get(CASHFLOW, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_three_years_of_days_is_the_longest_daily_cashflow(auth_client):
    ok = auth_client.get(CASHFLOW, {"granularity": "day", "date_from": "2026-01-01", "date_to": "2028-12-31"})
    assert ok.status_code == 200
    assert len(ok.json()["results"]) == 1096
    too_long = auth_client.get(CASHFLOW, {"granularity": "day", "date_from": "2025-01-01", "date_to": "2028-12-31"})
    assert too_long.status_code == 400


@pytest.mark.parametrize("rows", [3, 30])
def test_report_query_counts_do_not_grow_with_the_ledger(django_assert_max_num_queries, user, books, rows):
    for n in range(rows):
        category = make_category(user, name=f"Cat {n}", kind=Category.Kind.EXPENSE)
        Budget.objects.create(
            user=user, category=category, amount=Decimal("5.00"), start_date=date(2026, 1, 1), rollover=True
        )
        tx(books.main, "2.00", date(2026, 6, 1 + n % 28), category=category)
        tx(books.euro, "2.00", date(2026, 6, 1 + n % 28), category=category)
    client = client_for(user)
    # token user, daily sums, category sums, other currencies, budgets, budget spending
    with django_assert_max_num_queries(6):
        summary = client.get(SUMMARY, {"period": "month", "date": "2026-06-15"})
    assert len(summary.json()["by_category"]) == rows
    with django_assert_max_num_queries(2):
        cashflow = client.get(CASHFLOW, {"granularity": "week", "date_from": "2026-01-01", "date_to": "2026-12-31"})
    assert sum(Decimal(bucket["spending"]) for bucket in cashflow.json()["results"]) == 2 * rows
