"""Helpers for the goals tests."""

from datetime import date
from decimal import Decimal

from budgets.tests.helpers import local_noon
from goals.models import Goal, GoalEntry

CONTRIBUTION, WITHDRAWAL = GoalEntry.Kind.CONTRIBUTION, GoalEntry.Kind.WITHDRAWAL


def make_goal(
    user,
    *,
    name: str = "Holiday",
    target: str = "1000.00",
    target_date: date | None = None,
    created: date | None = None,
    entries: tuple[tuple[str, str, date], ...] = (),
    **extra,
) -> Goal:
    """A goal created on `created` (noon, in the user's timezone) with (kind, amount, date) entries."""
    goal = Goal.objects.create(user=user, name=name, target_amount=Decimal(target), target_date=target_date, **extra)
    if created is not None:
        Goal.objects.filter(pk=goal.pk).update(created_at=local_noon(created, user.timezone))
    GoalEntry.objects.bulk_create(
        GoalEntry(goal=goal, kind=kind, amount=Decimal(amount), date=day) for kind, amount, day in entries
    )
    return goal

