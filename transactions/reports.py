"""Sums over one person's ledger: income and spending over a date range, spending by
category, and what accounts in other currencies did. Every sum is the database's.

Income is transactions of kind income, spending of kind expense; transfers are neither.
The main figures count only accounts held in the person's currency; other currencies are
reported per currency beside them and never added in. The reports of budgets (summary,
cash flow), goals (savings progress) and the assistant's tools are built from these.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from budgetpay.money import SUM_FIELD, ZERO, summed
from budgetpay.periods import Period
from transactions.models import Category, Transaction

UNCATEGORISED = "Uncategorised"


@dataclass(frozen=True)
class Totals:
    income: Decimal = ZERO
    spending: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.income - self.spending

    def __add__(self, other: "Totals") -> "Totals":
        return Totals(self.income + other.income, self.spending + other.spending)


@dataclass(frozen=True)
class CurrencyTotals:
    currency: str
    totals: Totals


@dataclass(frozen=True)
class CategorySpending:
    """Spending in one category (`category_id` None: uncategorised) and how many expenses made it."""

    category_id: int | None
    name: str
    color: str | None
    spending: Decimal
    count: int = 0


@dataclass(frozen=True)
class PeriodReport:
    """What every report over a period says first: the kind of period asked for ("month",
    "monthly"...), the report's date `on`, the period containing it and the currency of
    the figures (the person's). Budgets' summary and goals' savings progress extend it."""

    period_kind: str
    on: date
    period: Period
    currency: str


def income_and_spending(*, user) -> QuerySet[Transaction]:
    return Transaction.objects.filter(user=user, kind__in=(Transaction.Kind.INCOME, Transaction.Kind.EXPENSE))


def in_main_currency(*, user) -> QuerySet[Transaction]:
    """Income and spending on the accounts held in the person's own currency."""
    return income_and_spending(user=user).filter(account__currency=user.currency)


def cashflow_totals(*, user, start: date, end: date) -> Totals:
    """Income and spending from `start` to `end` (inclusive) in the user's currency, in one query."""
    sums = (
        in_main_currency(user=user)
        .filter(date__range=(start, end))
        .aggregate(
            income=Sum("amount", filter=Q(kind=Transaction.Kind.INCOME), output_field=SUM_FIELD),
            spending=Sum("amount", filter=Q(kind=Transaction.Kind.EXPENSE), output_field=SUM_FIELD),
        )
    )
    return Totals(summed(sums["income"]), summed(sums["spending"]))


def spending_by_category(*, user, period: Period, category: Category | None = None) -> list[CategorySpending]:
    """Spending in the user's currency per category over `period` (only `category`'s when
    given), largest first, in one query."""
    expenses = in_main_currency(user=user).filter(kind=Transaction.Kind.EXPENSE, date__range=(period.start, period.end))
    if category is not None:
        expenses = expenses.filter(category=category)
    rows = (
        expenses.values("category_id", "category__name", "category__color")
        .annotate(total=Sum("amount", output_field=SUM_FIELD), count=Count("id"))
        .order_by()
    )
    lines = [
        CategorySpending(
            category_id=row["category_id"],
            name=row["category__name"] if row["category_id"] is not None else UNCATEGORISED,
            color=row["category__color"],
            spending=summed(row["total"]),
            count=row["count"],
        )
        for row in rows
    ]
    return sorted(lines, key=lambda line: (-line.spending, line.name.lower(), line.category_id or 0))


def other_currency_totals(*, user, period: Period, category: Category | None = None) -> list[CurrencyTotals]:
    """Income and spending over `period` on accounts in other currencies than the user's,
    per currency, alphabetically (only `category`'s when given), in one query."""
    rows = income_and_spending(user=user).exclude(account__currency=user.currency)
    rows = rows.filter(date__range=(period.start, period.end))
    if category is not None:
        rows = rows.filter(category=category)
    rows = rows.values("account__currency", "kind").annotate(total=Sum("amount", output_field=SUM_FIELD)).order_by()
    by_currency: dict[str, Totals] = defaultdict(Totals)
    for row in rows:
        amount = summed(row["total"])
        income, spending = (amount, ZERO) if row["kind"] == Transaction.Kind.INCOME else (ZERO, amount)
        by_currency[row["account__currency"]] += Totals(income, spending)
    return [CurrencyTotals(currency, by_currency[currency]) for currency in sorted(by_currency)]
