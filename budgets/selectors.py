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
- The projection (`project_spending`, one rule for every caller) splits the period's
  spending in four: fixed payments (expenses in a category marked `is_fixed`, such as rent),
  one-offs (any other single expense of at least a quarter of the budget's amount,
  `ONE_OFF_SHARE`), scheduled spending (the other expenses dated after the day asked about,
  entered ahead), and the rest, up to that day, whose daily pace is extrapolated. The first
  three are counted once: `fixed + one_offs + scheduled + pace spending / days elapsed ×
  period days`. A fixed payment not yet entered this period is not foreseen (until recurring
  payments are detected). In a period's first `EARLY_DAYS` days there is too little to go on:
  the projection is "early" and projects nothing.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db.models import Q, QuerySet, Sum

from budgetpay.money import HUNDRED, SUM_FIELD, ZERO, cents, percent, summed
from budgetpay.periods import Period, PeriodKind, period_containing
from budgets.models import Budget
from transactions.models import Transaction

PERIOD_KINDS: dict[str, PeriodKind] = {
    Budget.Period.WEEKLY: "week",
    Budget.Period.MONTHLY: "month",
    Budget.Period.YEARLY: "year",
}
PACE_TOLERANCE = Decimal("0.05")
# A single expense of at least this share of the budget's amount per period is a one-off
# (a laptop, a flight): counted once, never extrapolated as if bought every day.
ONE_OFF_SHARE = Decimal("0.25")
# Days at the start of a period on which no projection is made: two days of spending
# multiplied by 15 say more about which days they were than about the month.
EARLY_DAYS = 3


class ProjectionState:
    EARLY = "early"
    PROJECTED = "projected"
    CHOICES = (EARLY, PROJECTED)


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
class Projection:
    """Spending at the end of a period, from the spending up to a day in it."""

    state: str  # ProjectionState
    fixed: Decimal  # fixed payments in the period, counted once
    one_offs: Decimal  # one-offs in the period, counted once
    scheduled: Decimal  # other expenses dated after the day, counted once
    daily_pace: Decimal | None  # the rest per elapsed day; None while early
    spent: Decimal | None  # the projected total; None while early


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
    projection: Projection
    thresholds_crossed: list[int]

    @property
    def projected_spent(self) -> Decimal | None:
        return self.projection.spent

    @property
    def health(self) -> str:
        """ "over" past the available money, "warning" once a threshold is crossed, else "ok"."""
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


def budget_projection(*, budget: Budget, on: date) -> Projection:
    """The budget's projected spending at the end of its period containing `on`; raises
    BudgetNotStarted before its first period."""
    return budget_status(budget=budget, on=on).projection


def project_spending(
    *, period: Period, on: date, spent: Decimal, fixed: Decimal, one_offs: Decimal, scheduled: Decimal
) -> Projection:
    """The projection rule (see the module docstring): of the period's `spent`, fixed
    payments, one-offs and scheduled spending once, the rest at its daily pace to the end."""
    once = {"fixed": fixed, "one_offs": one_offs, "scheduled": scheduled}
    days_elapsed = (on - period.start).days + 1
    if days_elapsed <= EARLY_DAYS:
        return Projection(state=ProjectionState.EARLY, daily_pace=None, spent=None, **once)
    paced = spent - fixed - one_offs - scheduled
    return Projection(
        state=ProjectionState.PROJECTED,
        daily_pace=cents(paced / days_elapsed),
        spent=cents(fixed + one_offs + scheduled + paced * period.days / days_elapsed),
        **once,
    )


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
    the current period (in all, on fixed payments and in one-offs) and, with rollover, in
    all its earlier periods."""
    if not budgets:
        return []
    sums: dict[str, Sum] = {}
    earliest, latest = on, on
    for budget, window in budgets:
        in_category = Q() if budget.category_id is None else Q(category_id=budget.category_id)
        current = window.current
        in_period = in_category & Q(date__range=(current.start, current.end))
        fixed = Q(category__is_fixed=True)
        one_off = ~fixed & Q(amount__gte=budget.amount * ONE_OFF_SHARE)
        sums[f"spent_{budget.pk}"] = _sum(in_period)
        sums[f"fixed_{budget.pk}"] = _sum(in_period & fixed)
        sums[f"one_offs_{budget.pk}"] = _sum(in_period & one_off)
        sums[f"scheduled_{budget.pk}"] = _sum(in_period & ~fixed & ~one_off & Q(date__gt=on))
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
            fixed=summed(totals[f"fixed_{budget.pk}"]),
            one_offs=summed(totals[f"one_offs_{budget.pk}"]),
            scheduled=summed(totals[f"scheduled_{budget.pk}"]),
            spent_before=summed(totals.get(f"before_{budget.pk}")),
        )
        for budget, window in budgets
    ]


def _status(
    budget: Budget,
    window: _Window,
    on: date,
    *,
    spent: Decimal,
    fixed: Decimal,
    one_offs: Decimal,
    scheduled: Decimal,
    spent_before: Decimal,
) -> BudgetStatus:
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
        projection=project_spending(
            period=period, on=on, spent=spent, fixed=fixed, one_offs=one_offs, scheduled=scheduled
        ),
        thresholds_crossed=[t for t in budget.thresholds if spent * HUNDRED >= t * available],
    )
