"""Reads on goals: the list with each goal's saved amount summed by the database, its
progress, and the savings view against the monthly savings target.

Rules (the API documents the same):

- saved = contributions − withdrawals; percent = saved / target × 100, uncapped;
  remaining = target − saved, never negative.
- status: "achieved" once saved ≥ target. Otherwise, without a target date, "on_track".
  With one: "on_track" while saved ≥ the expected saved by today on a straight line from
  0 on the day the goal was created (in the user's timezone) to the target on the target
  date; "behind" below that line, and always once the target date has passed.
- required per week / per month: the remaining amount spread evenly over the days from
  today to the target date, both included, rounded up to the cent; when less than a week
  (a month) is left, or the target date has passed, the whole remaining amount. None
  without a target date.
- monthly savings target: the sum of required-per-month over goals with a target date
  that are not achieved (overdue goals count with their whole remaining amount).
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_UP, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.expressions import CombinedExpression

from budgetpay.money import SUM_FIELD, ZERO, cents, percent, summed
from budgetpay.periods import Period, period_containing
from goals.models import Goal, GoalEntry
from transactions.reports import PeriodReport, Totals, cashflow_totals

SavingsPeriod = Literal["daily", "weekly", "monthly", "yearly"]

DAYS_PER_YEAR = Decimal("365.2425")
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
MONTHS_PER_PERIOD: dict[str, Decimal] = {
    "daily": 12 / DAYS_PER_YEAR,
    "weekly": 12 * 7 / DAYS_PER_YEAR,
    "monthly": Decimal(1),
    "yearly": Decimal(12),
}


class GoalStatus:
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    CHOICES = (ACHIEVED, ON_TRACK, BEHIND)


@dataclass(frozen=True)
class GoalProgress:
    saved: Decimal
    percent: Decimal
    remaining: Decimal
    expected_saved: Decimal | None
    days_left: int | None
    required_per_week: Decimal | None
    required_per_month: Decimal | None
    status: str


@dataclass(frozen=True)
class SavingsProgress(PeriodReport):
    """Saving in a period (`period_kind` a SavingsPeriod) against the monthly savings target."""

    monthly_target: Decimal
    goals_saved: Decimal
    cashflow: Totals

    @property
    def target(self) -> Decimal:
        """The monthly target expressed for this period."""
        return cents(self.monthly_target * MONTHS_PER_PERIOD[self.period_kind])

    @property
    def goals_percent(self) -> Decimal | None:
        return percent(self.goals_saved, self.target)

    @property
    def net_percent(self) -> Decimal | None:
        return percent(self.cashflow.net, self.target)


def _saved(prefix: str = "") -> CombinedExpression:
    """Contributions minus withdrawals, for entries reached through `prefix`."""

    def total(kind: str) -> Sum:
        condition = Q(**{f"{prefix}kind": kind})
        return Sum(f"{prefix}amount", filter=condition, output_field=SUM_FIELD, default=ZERO)

    return total(GoalEntry.Kind.CONTRIBUTION) - total(GoalEntry.Kind.WITHDRAWAL)


def goal_list(*, user) -> QuerySet[Goal]:
    """The user's goals, each annotated with `saved` (contributions − withdrawals)."""
    return (
        Goal.objects.filter(user=user)
        .select_related("user")
        .annotate(saved=_saved("entries__"))
        .order_by(F("target_date").asc(nulls_last=True), "name", "id")
    )


def goal_saved(*, goal: Goal) -> Decimal:
    """The goal's saved amount, summed now (for a goal without the `saved` annotation)."""
    return summed(GoalEntry.objects.filter(goal=goal).aggregate(saved=_saved())["saved"])


def _required(remaining: Decimal, days_left: int, days_per_period: Decimal) -> Decimal:
    periods_left = max(Decimal(days_left) / days_per_period, Decimal(1))
    return cents(remaining / periods_left, rounding=ROUND_UP)


def goal_progress(*, goal: Goal, today: date) -> GoalProgress:
    """Progress of a goal from `goal_list` (which sums `saved`), as of `today` in the user's timezone.
    A goal without a target date has no schedule, so it is never behind."""
    saved = summed(goal.saved)
    target = goal.target_amount
    remaining = max(target - saved, ZERO)
    expected_saved = days_left = None
    on_schedule = True
    if goal.target_date is not None:
        created = goal.created_at.astimezone(ZoneInfo(goal.user.timezone)).date()
        span = (goal.target_date - created).days
        elapsed = min(max((today - created).days, 0), span)
        expected_saved = cents(target * elapsed / span) if span > 0 else target
        days_left = max((goal.target_date - today).days + 1, 0)
        on_schedule = today <= goal.target_date and saved >= expected_saved
    if saved >= target:
        status = GoalStatus.ACHIEVED
    else:
        status = GoalStatus.ON_TRACK if on_schedule else GoalStatus.BEHIND
    return GoalProgress(
        saved=saved,
        percent=percent(saved, target),
        remaining=remaining,
        expected_saved=expected_saved,
        days_left=days_left,
        required_per_week=None if days_left is None else _required(remaining, days_left, Decimal(7)),
        required_per_month=None if days_left is None else _required(remaining, days_left, DAYS_PER_MONTH),
        status=status,
    )


def monthly_savings_target(*, user, today: date) -> Decimal:
    """The sum of required-per-month over the user's unachieved goals with a target date."""
    total = ZERO
    for goal in goal_list(user=user).filter(target_date__isnull=False):
        progress = goal_progress(goal=goal, today=today)
        if progress.status != GoalStatus.ACHIEVED:
            total += progress.required_per_month
    return total


def savings_period(kind: SavingsPeriod, on: date) -> Period:
    if kind == "daily":
        return Period(on, on)
    return period_containing({"weekly": "week", "monthly": "month", "yearly": "year"}[kind], on)


def savings_progress(*, user, period: SavingsPeriod, on: date, today: date) -> SavingsProgress:
    """Saving in the period containing `on` against today's monthly savings target
    expressed per that period: goal entries, and income − spending, in three queries."""
    bounds = savings_period(period, on)
    entries = GoalEntry.objects.filter(goal__user=user, date__range=(bounds.start, bounds.end))
    return SavingsProgress(
        period_kind=period,
        on=on,
        period=bounds,
        currency=user.currency,
        monthly_target=monthly_savings_target(user=user, today=today),
        goals_saved=summed(entries.aggregate(saved=_saved())["saved"]),
        cashflow=cashflow_totals(user=user, start=bounds.start, end=bounds.end),
    )
