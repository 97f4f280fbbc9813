"""Reads on budgets: the list, and each budget's status in the period containing a date.

Rules (the API documents the same):

- A budget's periods are Monday-based weeks, calendar months or calendar years. Its first
  period is the one containing `start_date` (spending from the whole of that period counts);
  earlier periods have no status and carry nothing.
- Spending is expense transactions in accounts held in the user's currency; transfers and
  other currencies never count. A budget without a category counts all such spending.
- Rollover carries the previous period's leftover (its available money minus its spending)
  into the current one, negative when it was overspent. As the previous period's available
  money includes its own carry, the carry is cumulative: `amount × earlier periods − spending
  in them`, from the first period.
- Pace compares spending with the even-spending line, `available × elapsed days / period
  days`: "ahead" when spending runs more than 5 % of the amount above the line (it will
  overspend), "behind" when more than 5 % below it, else "on_track".
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db.models import Q, QuerySet, Sum

from budgetpay.periods import Period, PeriodKind, period_containing
from budgets.models import Budget
from budgets.money import HUNDRED, SUM_FIELD, ZERO, cents, percent, summed
from transactions.models import Transaction

PERIOD_KINDS: dict[str, PeriodKind] = {
    Budget.Period.WEEKLY: "week",
    Budget.Period.MONTHLY: "month",
    Budget.Period.YEARLY: "year",
}
PACE_TOLERANCE = Decimal("0.05")


class Pace:
    AHEAD = "ahead"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    CHOICES = (AHEAD, ON_TRACK, BEHIND)


class Health:
    OK = "ok"
    WARNING = "warning"
    OVER = "over"
    CHOICES = (OK, WARNING, OVER)


class BudgetNotStarted(Exception):
    """The date lies in a period before the budget's first one."""

    def __init__(self, budget: Budget, first_day: date) -> None:
        self.budget = budget
        self.first_day = first_day
        super().__init__(
            f"The budget starts with the period beginning {first_day.isoformat()}; pick a date from then on."
        )


@dataclass(frozen=True)
class BudgetStatus:
    budget: Budget
    on: date
    period: Period
    amount: Decimal
    rollover: Decimal
    available: Decimal
    spent: Decimal
    remaining: Decimal
    percent_used: Decimal | None  # None when nothing is available (a carried overspend ate it all)
    days_elapsed: int
    days_left: int
    daily_allowance: Decimal
    expected_spent: Decimal
    pace: str
    projected_spent: Decimal
    thresholds_crossed: list[int]

    @property
    def health(self) -> str:
        """"over" past the available money, "warning" once a threshold is crossed, else "ok"."""
        if self.remaining < 0:
            return Health.OVER
        if self.thresholds_crossed:
            return Health.WARNING
        return Health.OK


@dataclass(frozen=True)
class _Window:
    first: Period
    current: Period

    @property
    def has_earlier_periods(self) -> bool:
        return self.first.start < self.current.start


def budget_list(*, user) -> QuerySet[Budget]:
    return Budget.objects.filter(user=user).select_related("category", "user")


def spending_queryset(*, user) -> QuerySet[Transaction]:
    """The user's spending that budgets and the main report figures count."""
    return Transaction.objects.filter(user=user, kind=Transaction.Kind.EXPENSE, account__currency=user.currency)


def budget_status(*, budget: Budget, on: date) -> BudgetStatus:
    """The budget's status in its period containing `on`; raises BudgetNotStarted before its first period."""
    window = _window(budget, on)
    if window is None:
        raise BudgetNotStarted(budget, period_containing(PERIOD_KINDS[budget.period], budget.start_date).start)
    return _statuses(user=budget.user, budgets=[(budget, window)], on=on)[0]


def budget_statuses(*, user, on: date) -> list[BudgetStatus]:
    """The status of every budget of `user` that has started by `on`, in two queries."""
    windowed = []
    for budget in budget_list(user=user):
        window = _window(budget, on)
        if window is not None:
            windowed.append((budget, window))
    return _statuses(user=user, budgets=windowed, on=on)


def _window(budget: Budget, on: date) -> _Window | None:
    kind = PERIOD_KINDS[budget.period]
    first = period_containing(kind, budget.start_date)
    if on < first.start:
        return None
    return _Window(first=first, current=period_containing(kind, on))


def _periods_between(kind: PeriodKind, first: Period, current: Period) -> int:
    if kind == "week":
        return (current.start - first.start).days // 7
    if kind == "month":
        return (current.start.year - first.start.year) * 12 + current.start.month - first.start.month
    return current.start.year - first.start.year


def _sum(condition: Q) -> Sum:
    return Sum("amount", filter=condition, output_field=SUM_FIELD)


def _statuses(*, user, budgets: list[tuple[Budget, _Window]], on: date) -> list[BudgetStatus]:
    """One conditional aggregation over the user's spending: per budget, its spending in
    the current period and, with rollover, in all its earlier periods."""
    if not budgets:
        return []
    sums: dict[str, Sum] = {}
    earliest, latest = on, on
    for budget, window in budgets:
        in_category = Q() if budget.category_id is None else Q(category_id=budget.category_id)
        current = window.current
        sums[f"spent_{budget.pk}"] = _sum(in_category & Q(date__range=(current.start, current.end)))
        earliest, latest = min(earliest, current.start), max(latest, current.end)
        if budget.rollover and window.has_earlier_periods:
            before = current.start - timedelta(days=1)
            sums[f"before_{budget.pk}"] = _sum(in_category & Q(date__range=(window.first.start, before)))
            earliest = min(earliest, window.first.start)
    totals = spending_queryset(user=user).filter(date__range=(earliest, latest)).aggregate(**sums)
    return [
        _status(
            budget,
            window,
            on,
            spent=summed(totals[f"spent_{budget.pk}"]),
            spent_before=summed(totals.get(f"before_{budget.pk}")),
        )
        for budget, window in budgets
    ]


def _status(budget: Budget, window: _Window, on: date, *, spent: Decimal, spent_before: Decimal) -> BudgetStatus:
    amount = budget.amount
    rollover = ZERO
    if budget.rollover and window.has_earlier_periods:
        earlier = _periods_between(PERIOD_KINDS[budget.period], window.first, window.current)
        rollover = amount * earlier - spent_before
    available = amount + rollover
    remaining = available - spent
    period = window.current
    days_elapsed = (on - period.start).days + 1
    days_left = (period.end - on).days + 1
    expected_spent = cents(available * days_elapsed / period.days)
    band = amount * PACE_TOLERANCE
    if spent > expected_spent + band:
        pace = Pace.AHEAD
    elif spent < expected_spent - band:
        pace = Pace.BEHIND
    else:
        pace = Pace.ON_TRACK
    return BudgetStatus(
        budget=budget,
        on=on,
        period=period,
        amount=amount,
        rollover=rollover,
        available=available,
        spent=spent,
        remaining=remaining,
        percent_used=percent(spent, available) if available > 0 else None,
        days_elapsed=days_elapsed,
        days_left=days_left,
        daily_allowance=cents(max(remaining, ZERO) / days_left, rounding=ROUND_DOWN),
        expected_spent=expected_spent,
        pace=pace,
        projected_spent=cents(spent * period.days / days_elapsed),
        thresholds_crossed=[t for t in budget.thresholds if spent * HUNDRED >= t * available],
    )
