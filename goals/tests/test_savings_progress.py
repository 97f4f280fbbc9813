import math
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from budgetpay.testing.clock import freeze_now
from budgetpay.testing.factories import CONTRIBUTION, WITHDRAWAL, make_account, make_goal, make_transaction
from budgetpay.testing.people import client_for
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

PROGRESS = "/api/v1/goals/progress"
DAYS_PER_YEAR = Fraction("365.2425")


def cents(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def ceil_cents(value: Fraction) -> Fraction:
    return Fraction(math.ceil(value * 100), 100)


def money(value: Fraction) -> str:
    return str(cents(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@pytest.fixture
def saver(monkeypatch, user, books):
    """Four goals and a June ledger, seen on 15 June 2026."""
    freeze_now(monkeypatch, datetime(2026, 6, 15, 12, tzinfo=UTC))
    new_year = date(2026, 1, 1)
    june = ((CONTRIBUTION, "300.00", date(2026, 6, 3)), (WITHDRAWAL, "100.00", date(2026, 6, 10)))
    make_goal(user, name="Car", target="1200.00", target_date=date(2026, 12, 31), created=new_year, entries=june)
    may = ((CONTRIBUTION, "100.00", date(2026, 5, 20)),)
    make_goal(user, name="Overdue", target="500.00", target_date=date(2026, 6, 1), created=new_year, entries=may)
    done = ((CONTRIBUTION, "100.00", date(2026, 6, 5)),)
    make_goal(user, name="Done", target="100.00", target_date=date(2026, 12, 31), created=new_year, entries=done)
    make_goal(user, name="Someday", target="9000.00", entries=((CONTRIBUTION, "50.00", date(2026, 6, 15)),))
    make_transaction(books.main, amount="3000.00", kind=Transaction.Kind.INCOME, on=date(2026, 6, 1))
    make_transaction(books.main, amount="1200.00", on=date(2026, 6, 2))
    make_transaction(books.main, amount="77.00", on=date(2026, 5, 31))
    make_transaction(books.euro, amount="99.00", on=date(2026, 6, 3))
    make_transaction(
        books.main, amount="500.00", kind=Transaction.Kind.TRANSFER, transfer_account=books.card, on=date(2026, 6, 4)
    )
    # Car: 1000 left over the 200 days from 15 June to 31 December. Overdue: all 400 left.
    # Done is achieved and Someday has no target date: neither adds to the target.
    return ceil_cents(Fraction(1000) * DAYS_PER_YEAR / 12 / 200) + 400


def test_monthly_progress(auth_client, saver):
    response = auth_client.get(PROGRESS, {"period": "monthly"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["period"], body["date"]) == ("monthly", "2026-06-15")
    assert (body["start"], body["end"]) == ("2026-06-01", "2026-06-30")
    assert body["currency"] == "USD"
    assert body["monthly_target"] == body["target"] == money(saver)
    # Car +300 −100, Done +100, Someday +50; the Overdue entry is in May.
    assert body["goals"] == {"saved": "350.00", "percent_of_target": money(Fraction(350) * 100 / saver)}
    assert body["cashflow"] == {
        "income": "3000.00",
        "spending": "1200.00",
        "net": "1800.00",
        "percent_of_target": money(Fraction(1800) * 100 / saver),
    }


@pytest.mark.parametrize(
    ("period", "day", "months", "saved", "bounds"),
    [
        ("daily", "2026-06-03", 12 / DAYS_PER_YEAR, "300.00", ("2026-06-03", "2026-06-03")),
        ("weekly", "2026-06-15", 12 * 7 / DAYS_PER_YEAR, "50.00", ("2026-06-15", "2026-06-21")),
        ("yearly", "2026-06-15", Fraction(12), "450.00", ("2026-01-01", "2026-12-31")),
    ],
)
def test_the_target_is_expressed_per_period(auth_client, saver, period, day, months, saved, bounds):
    body = auth_client.get(PROGRESS, {"period": period, "date": day}).json()
    assert (body["start"], body["end"]) == bounds
    assert body["monthly_target"] == money(saver)
    assert body["target"] == money(saver * months)
    assert body["goals"]["saved"] == saved


def test_another_users_goals_and_ledger_do_not_count(saver, other_user):
    theirs = make_goal(other_user, target_date=date(2026, 12, 31))
    assert theirs.user == other_user
    make_transaction(make_account(other_user, name="Theirs"), amount="5.00", on=date(2026, 6, 1))
    body = client_for(other_user).get(PROGRESS).json()
    assert body["goals"]["saved"] == "0.00"
    assert (body["cashflow"]["income"], body["cashflow"]["spending"]) == ("0.00", "5.00")
    # Their only goal: 1000 over the 200 days left.
    assert body["monthly_target"] == money(ceil_cents(Fraction(1000) * DAYS_PER_YEAR / 12 / 200))


def test_without_goals_the_target_is_zero_and_percents_are_null(auth_client):
    body = auth_client.get(PROGRESS).json()
    assert body["target"] == "0.00"
    assert body["goals"]["percent_of_target"] is None
    assert body["cashflow"]["percent_of_target"] is None


def test_a_wrong_period_lists_the_allowed_ones(auth_client):
    response = auth_client.get(PROGRESS, {"period": "hourly"})
    assert response.status_code == 400
    assert "daily, weekly, monthly, yearly" in response.json()["errors"]["period"][0]


def test_a_bad_date_is_a_400_naming_date(auth_client):
    response = auth_client.get(PROGRESS, {"date": "2026-02-30"})
    assert response.status_code == 400
    assert "date" in response.json()["errors"]


@pytest.mark.parametrize("rows", [3, 30])
def test_query_count_does_not_grow_with_goals(django_assert_max_num_queries, user, rows):
    for n in range(rows):
        make_goal(user, name=f"G{n}", target_date=date(2031, 1, 1), entries=((CONTRIBUTION, "1.00", date(2026, 6, 1)),))
    client = client_for(user)
    # token user, goals with their sums, entries in the period, income and spending
    with django_assert_max_num_queries(4):
        response = client.get(PROGRESS, {"period": "yearly", "date": "2026-06-01"})
    assert response.json()["goals"]["saved"] == f"{rows}.00"
