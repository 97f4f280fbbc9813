"""Property tests: on random ledgers, the reports and budget statuses equal a plain Python
computation over the same rows. Dates cluster around month ends, the leap day 2028-02-29 and
the DST changes of New York and Auckland; "now" falls near midnight UTC, where the users'
local dates differ."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetpay.testing.clock import BOUNDS, days, freeze_now
from budgetpay.testing.factories import rolled_back
from budgetpay.testing.people import client_for
from budgets.models import Budget
from budgets.reports import report_cashflow
from budgets.selectors import BudgetNotStarted, budget_status, budget_statuses
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
INCOME, EXPENSE, TRANSFER = Transaction.Kind.INCOME, Transaction.Kind.EXPENSE, Transaction.Kind.TRANSFER
CURRENCY = {"main": "USD", "card": "USD", "euro": "EUR"}
TRANSFER_TO = {"main": "card", "card": "main", "euro": "main"}
ZONES = ["America/New_York", "Pacific/Auckland", "UTC"]
ANCHORS = [
    date(2028, 2, 29),  # leap day
    date(2026, 3, 8),  # New York springs forward
    date(2026, 4, 5),  # Auckland falls back
    date(2026, 11, 1),  # New York falls back
    date(2026, 12, 31),  # year end
]


@dataclass(frozen=True)
class Row:
    account: str
    kind: str
    category: str | None
    amount: Decimal
    day: date


anchors = st.sampled_from(ANCHORS)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@st.composite
def ledgers(draw) -> tuple[date, list[Row]]:
    anchor = draw(anchors)
    rows = draw(
        st.lists(
            st.builds(
                Row,
                account=st.sampled_from(list(CURRENCY)),
                kind=st.sampled_from([INCOME, EXPENSE, TRANSFER]),
                category=st.sampled_from(["food", "shopping", None]),
                amount=amounts,
                day=st.integers(-75, 75).map(lambda offset: anchor + timedelta(days=offset)),
            ),
            max_size=25,
        )
    )
    return anchor, rows


def store(rows: list[Row], user, books) -> None:
    Transaction.objects.bulk_create(
        Transaction(
            user=user,
            account=getattr(books, row.account),
            transfer_account=getattr(books, TRANSFER_TO[row.account]) if row.kind == TRANSFER else None,
            category=getattr(books, row.category) if row.category else None,
            kind=row.kind,
            amount=row.amount,
            date=row.day,
        )
        for row in rows
    )


def total(rows: list[Row], kind: str, start: date, end: date, currency: str = "USD") -> Decimal:
    return sum(
        (r.amount for r in rows if r.kind == kind and CURRENCY[r.account] == currency and start <= r.day <= end),
        Decimal("0.00"),
    )


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def same_days_end(period: str, on: date, start: date, end: date, previous_start: date, previous_end: date) -> date:
    """The last day of the period before that compares like with like with `start`..`on`:
    all of it once the period is over; else the same date a year back (29 February: the
    28th), or as many days in as `on` is, cut to the period's length."""
    if on == end:
        return previous_end
    if period == "year":
        return date(on.year - 1, on.month, 28) if (on.month, on.day) == (2, 29) else on.replace(year=on.year - 1)
    return min(previous_start + (on - start), previous_end)


@PROPERTY_SETTINGS
@given(
    ledger=ledgers(),
    period=st.sampled_from(["week", "month", "year"]),
    zone=st.sampled_from(ZONES),
    minutes_from_midnight=st.integers(-14 * 60, 14 * 60),
    day_offset=st.integers(-40, 40),
)
def test_summary_equals_a_python_computation(
    monkeypatch, user, books, ledger, period, zone, minutes_from_midnight, day_offset
):
    anchor, rows = ledger
    now = datetime.combine(anchor + timedelta(days=day_offset), time(0), tzinfo=UTC)
    now += timedelta(minutes=minutes_from_midnight)
    with rolled_back():
        user.timezone = zone
        user.save(update_fields=["timezone"])
        store(rows, user, books)
        freeze_now(monkeypatch, now)

        body = client_for(user).get("/api/v1/reports/summary", {"period": period}).json()

    on = now.astimezone(ZoneInfo(zone)).date()
    start, end = BOUNDS[period](on)
    previous_start, previous_end = BOUNDS[period](start - timedelta(days=1))
    assert (body["date"], body["start"], body["end"]) == (on.isoformat(), start.isoformat(), end.isoformat())
    income, spending = total(rows, INCOME, start, end), total(rows, EXPENSE, start, end)
    assert (body["income"], body["spending"], body["net"]) == (money(income), money(spending), money(income - spending))

    previous = body["previous"]
    compared_end = same_days_end(period, on, start, end, previous_start, previous_end)
    assert (previous["start"], previous["end"]) == (previous_start.isoformat(), compared_end.isoformat())
    assert (previous["period_start"], previous["period_end"]) == (previous_start.isoformat(), previous_end.isoformat())
    assert previous["whole_period"] is (compared_end == previous_end)
    previous_spending = total(rows, EXPENSE, previous_start, compared_end)
    assert previous["income"] == money(total(rows, INCOME, previous_start, compared_end))
    assert previous["spending"] == money(previous_spending)
    spending_to_date = total(rows, EXPENSE, start, on)
    assert (previous["to_date"]["start"], previous["to_date"]["end"]) == (start.isoformat(), on.isoformat())
    assert previous["to_date"]["spending"] == money(spending_to_date)
    expected_change = (
        money((spending_to_date - previous_spending) * 100 / previous_spending) if previous_spending else None
    )
    assert previous["spending_change"] == expected_change

    by_category: dict[int | None, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.kind == EXPENSE and CURRENCY[row.account] == "USD" and start <= row.day <= end:
            by_category[getattr(books, row.category).pk if row.category else None] += row.amount
    assert {line["category"]: line["spending"] for line in body["by_category"]} == {
        key: money(value) for key, value in by_category.items()
    }
    assert body["uncategorised_spending"] == money(by_category.get(None, Decimal(0)))

    assert [day["date"] for day in body["days"]] == [day.isoformat() for day in days(start, end)]
    for line in body["days"]:
        day = date.fromisoformat(line["date"])
        assert line["income"] == money(total(rows, INCOME, day, day))
        assert line["spending"] == money(total(rows, EXPENSE, day, day))

    euro_income, euro_spending = total(rows, INCOME, start, end, "EUR"), total(rows, EXPENSE, start, end, "EUR")
    has_euro = any(r.kind != TRANSFER and CURRENCY[r.account] == "EUR" and start <= r.day <= end for r in rows)
    euro = {"income": money(euro_income), "spending": money(euro_spending), "net": money(euro_income - euro_spending)}
    expected_other = [{"currency": "EUR", **euro}] if has_euro else []
    assert body["other_currencies"] == expected_other


def expected_budget(rows: list[Row], books, budget: Budget, on: date) -> tuple[Decimal, Decimal] | None:
    """(spent, rollover) walking the budget's periods one by one; None before its first period."""
    bounds = BOUNDS[{"weekly": "week", "monthly": "month", "yearly": "year"}[budget.period]]

    def spent(start: date, end: date) -> Decimal:
        return sum(
            (
                r.amount
                for r in rows
                if r.kind == EXPENSE
                and CURRENCY[r.account] == "USD"
                and start <= r.day <= end
                and (budget.category is None or (r.category and getattr(books, r.category) == budget.category))
            ),
            Decimal("0.00"),
        )

    period = bounds(budget.start_date)
    if on < period[0]:
        return None
    current = bounds(on)
    carry = Decimal("0.00")
    while period[0] < current[0]:
        if budget.rollover:
            available = budget.amount + carry
            carry = available - spent(*period)
        period = bounds(period[1] + timedelta(days=1))
    return spent(*current), carry


budget_specs = st.lists(
    st.tuples(
        st.sampled_from(Budget.Period.values),
        st.sampled_from(["food", "shopping", None]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000.00"), places=2),
        st.booleans(),
        st.integers(-120, 60),
    ),
    min_size=1,
    max_size=4,
)


@PROPERTY_SETTINGS
@given(ledger=ledgers(), specs=budget_specs, on_offset=st.integers(-60, 60))
def test_budget_spent_and_rollover_equal_a_python_computation(user, books, ledger, specs, on_offset):
    anchor, rows = ledger
    on = anchor + timedelta(days=on_offset)
    with rolled_back():
        store(rows, user, books)
        budgets = [
            Budget.objects.create(
                user=user,
                period=period,
                category=getattr(books, category) if category else None,
                amount=amount,
                rollover=rollover,
                start_date=anchor + timedelta(days=start_offset),
            )
            for period, category, amount, rollover, start_offset in specs
        ]
        bulk = {status.budget.pk: status for status in budget_statuses(user=user, on=on)}
        for budget in budgets:
            expected = expected_budget(rows, books, budget, on)
            if expected is None:
                assert budget.pk not in bulk
                with pytest.raises(BudgetNotStarted):
                    budget_status(budget=budget, on=on)
                continue
            spent, rollover = expected
            single = budget_status(budget=budget, on=on)
            for status in (single, bulk[budget.pk]):
                assert status.spent == spent
                assert status.rollover == rollover
                assert status.available == budget.amount + rollover
                assert status.remaining == budget.amount + rollover - spent
                assert status.days_elapsed + status.days_left == status.period.days + 1


@PROPERTY_SETTINGS
@given(
    ledger=ledgers(),
    granularity=st.sampled_from(["day", "week", "month"]),
    from_offset=st.integers(-80, 0),
    length=st.integers(0, 120),
)
def test_cashflow_buckets_cover_the_range_and_equal_a_python_computation(
    user, books, ledger, granularity, from_offset, length
):
    anchor, rows = ledger
    date_from = anchor + timedelta(days=from_offset)
    date_to = date_from + timedelta(days=length)
    with rolled_back():
        store(rows, user, books)
        buckets = report_cashflow(user=user, granularity=granularity, date_from=date_from, date_to=date_to)

    assert buckets[0].start == date_from
    assert buckets[-1].end == date_to
    for before, after in zip(buckets, buckets[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)
    for bucket in buckets:
        natural = (bucket.start, bucket.start) if granularity == "day" else BOUNDS[granularity](bucket.start)
        assert natural[0] <= bucket.start <= bucket.end <= natural[1]
        assert bucket.totals.income == total(rows, INCOME, bucket.start, bucket.end)
        assert bucket.totals.spending == total(rows, EXPENSE, bucket.start, bucket.end)
    assert sum((b.totals.net for b in buckets), Decimal(0)) == total(rows, INCOME, date_from, date_to) - total(
        rows, EXPENSE, date_from, date_to
    )
