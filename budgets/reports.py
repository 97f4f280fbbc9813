"""Reports over the user's ledger: a period summary and a cash flow over a date range.

Income is transactions of kind income, spending of kind expense; transfers are neither.
The main figures count only accounts held in the user's currency; other currencies are
reported per currency beside them and never added in. The database does every sum,
grouped by date (or category, or currency); Python only buckets the grouped rows. The
ledger's own sums (totals, spending by category, other currencies) are
transactions.reports'; this module adds periods, comparisons and budgets to them.

A summary compares like with like (`same_days_before`): the period so far, from its start
to the report's date, against the same days of the period before. A month to day N against
the previous month's days 1 to N, cut to its length (31 March against all of February); a
week against the same weekdays of the week before; a year against the same dates of the
year before (29 February against 28 February). A finished period, the report's date being
its last day, is compared with the whole period before.
"""

import calendar
from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from django.db.models import Sum

from budgetpay.money import SUM_FIELD, ZERO, change_percent, percent, summed
from budgetpay.periods import Period, PeriodKind, period_containing, previous_period
from budgets.selectors import PERIOD_KINDS, BudgetStatus, budget_statuses
from transactions.models import Transaction
from transactions.reports import (
    CategorySpending,
    CurrencyTotals,
    PeriodReport,
    Totals,
    in_main_currency,
    other_currency_totals,
    spending_by_category,
)

Granularity = Literal["day", "week", "month"]

REPORT_PERIODS: tuple[PeriodKind, ...] = ("week", "month", "year")

# The longest range a cash flow covers, per granularity (in days).
MAX_CASHFLOW_DAYS: dict[str, int] = {"day": 3 * 366, "week": 10 * 366, "month": 30 * 366}
DEFAULT_CASHFLOW_BUCKETS = {"day": 30, "week": 12, "month": 12}
TOP_CATEGORIES = 5


@dataclass(frozen=True)
class DayTotals:
    day: date
    totals: Totals


@dataclass(frozen=True)
class CategoryLine(CategorySpending):
    """A summary's line: the ledger's spending in one category, its share of the period's
    spending and the category's budget."""

    share: Decimal | None = None
    budget: BudgetStatus | None = None


@dataclass(frozen=True)
class Comparison:
    """The period so far (`to_date`, its totals `current`) against the same days of the
    period before (`period`, its totals `totals`), which is all of `whole` or a part of it."""

    period: Period
    totals: Totals
    whole: Period
    to_date: Period
    current: Totals

    @property
    def is_whole(self) -> bool:
        """The whole period before is compared (the period reported on is finished)."""
        return self.period == self.whole

    @property
    def income_change(self) -> Decimal | None:
        return change_percent(self.current.income, self.totals.income)

    @property
    def spending_change(self) -> Decimal | None:
        return change_percent(self.current.spending, self.totals.spending)

    @property
    def net_change(self) -> Decimal | None:
        return change_percent(self.current.net, self.totals.net)


@dataclass(frozen=True)
class Summary(PeriodReport):
    """The week, month or year containing `on` (`period_kind` a PeriodKind); see report_summary."""

    totals: Totals
    by_category: list[CategoryLine]
    top_categories: list[CategoryLine]
    uncategorised_spending: Decimal
    days: list[DayTotals]
    previous: Comparison
    other_currencies: list[CurrencyTotals]
    budget: BudgetStatus | None


@dataclass(frozen=True)
class Bucket:
    start: date
    end: date
    totals: Totals


def _daily_totals(*, user, start: date, end: date) -> dict[date, Totals]:
    rows = (
        in_main_currency(user=user)
        .filter(date__range=(start, end))
        .values("date", "kind")
        .annotate(total=Sum("amount", output_field=SUM_FIELD))
        .order_by()
    )
    income: dict[date, Decimal] = defaultdict(lambda: ZERO)
    spending: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        (income if row["kind"] == Transaction.Kind.INCOME else spending)[row["date"]] += summed(row["total"])
    return {day: Totals(income[day], spending[day]) for day in income.keys() | spending.keys()}


def _sum_days(days: dict[date, Totals], start: date, end: date) -> Totals:
    total = Totals()
    for offset in range((end - start).days + 1):
        total += days.get(start + timedelta(days=offset), Totals())
    return total


def _category_lines(*, user, period: Period, total_spending: Decimal) -> list[CategoryLine]:
    return [
        CategoryLine(**asdict(line), share=percent(line.spending, total_spending))
        for line in spending_by_category(user=user, period=period)
    ]


def _budgets_by_category(statuses: list[BudgetStatus], kind: PeriodKind) -> dict[int | None, BudgetStatus]:
    """One budget per category (None: the all-spending budget), preferring one whose
    period matches the report's."""
    chosen: dict[int | None, BudgetStatus] = {}
    for status in sorted(statuses, key=lambda status: PERIOD_KINDS[status.budget.period] != kind):
        chosen.setdefault(status.budget.category_id, status)
    return chosen


def same_days_before(kind: PeriodKind, on: date) -> Period:
    """The days of the period before the one containing `on` that compare like with like
    with this period's days up to `on` (see the module docstring)."""
    current = period_containing(kind, on)
    before = previous_period(kind, current)
    if on == current.end:
        return before
    if kind == "year":
        last_day = calendar.monthrange(before.start.year, on.month)[1]
        return Period(before.start, date(before.start.year, on.month, min(on.day, last_day)))
    elapsed = (on - current.start).days
    return Period(before.start, min(before.start + timedelta(days=elapsed), before.end))


def report_summary(*, user, period: PeriodKind, on: date) -> Summary:
    """The week, month or year containing `on`, compared with the same days of the one
    before (`same_days_before`), in five queries."""
    current = period_containing(period, on)
    previous = previous_period(period, current)
    days = _daily_totals(user=user, start=previous.start, end=current.end)
    totals = _sum_days(days, current.start, current.end)
    compared = same_days_before(period, on)
    previous_totals = _sum_days(days, compared.start, compared.end)
    to_date = Period(current.start, on)
    to_date_totals = _sum_days(days, to_date.start, to_date.end)

    budgets = _budgets_by_category(budget_statuses(user=user, on=on), period)
    lines = [
        replace(line, budget=budgets.get(line.category_id)) if line.category_id else line
        for line in _category_lines(user=user, period=current, total_spending=totals.spending)
    ]
    categorised = [line for line in lines if line.category_id is not None]
    return Summary(
        period_kind=period,
        on=on,
        period=current,
        currency=user.currency,
        totals=totals,
        by_category=lines,
        top_categories=categorised[:TOP_CATEGORIES],
        uncategorised_spending=sum((line.spending for line in lines if line.category_id is None), ZERO),
        days=[
            DayTotals(day, days.get(day, Totals()))
            for day in (current.start + timedelta(days=offset) for offset in range(current.days))
        ],
        previous=Comparison(
            period=compared, totals=previous_totals, whole=previous, to_date=to_date, current=to_date_totals
        ),
        other_currencies=other_currency_totals(user=user, period=current),
        budget=budgets.get(None),
    )


def _bucket(granularity: Granularity, day: date) -> Period:
    return Period(day, day) if granularity == "day" else period_containing(granularity, day)


def default_cashflow_start(granularity: Granularity, date_to: date) -> date:
    """The start of the bucket DEFAULT_CASHFLOW_BUCKETS[granularity] - 1 buckets before `date_to`'s."""
    bucket = _bucket(granularity, date_to)
    for _ in range(DEFAULT_CASHFLOW_BUCKETS[granularity] - 1):
        bucket = _bucket(granularity, bucket.start - timedelta(days=1))
    return bucket.start


def report_cashflow(*, user, granularity: Granularity, date_from: date, date_to: date) -> list[Bucket]:
    """Income, spending and net per day, week or month from `date_from` to `date_to`,
    zero-filled, in one query. Edge buckets are cut to the range and say so in their bounds."""
    days = _daily_totals(user=user, start=date_from, end=date_to)
    buckets = []
    day = date_from
    while day <= date_to:
        bucket = _bucket(granularity, day)
        start, end = max(bucket.start, date_from), min(bucket.end, date_to)
        buckets.append(Bucket(start, end, _sum_days(days, start, end)))
        day = end + timedelta(days=1)
    return buckets
