"""Writes on goals and their entries. Each runs in one database transaction; the goal row
is locked while an entry changes, so two withdrawals cannot both spend the same savings."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from budgetpay.periods import user_today
from budgetpay.services import model_update
from goals.models import Goal, GoalEntry
from goals.selectors import goal_saved
from transactions.models import Account

GOAL_FIELDS = frozenset({"name", "target_amount", "target_date", "account"})
# Goal.clean() checks the account is the owner's; the field's own check would look it up once more.
_NOT_CLEANED = ("user", "account")


@transaction.atomic
def goal_create(
    *, user, name: str, target_amount: Decimal, target_date: date | None = None, account: Account | None = None
) -> Goal:
    goal = Goal(user=user, name=name, target_amount=target_amount, target_date=target_date, account=account)
    goal.full_clean(exclude=_NOT_CLEANED)  # the model's rules, which the admin's form applies too
    goal.save()
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, **fields: object) -> Goal:
    """Change a goal (GOAL_FIELDS); the result keeps every rule of the model."""
    goal = model_update(instance=goal, fields=fields, allowed=GOAL_FIELDS, clean_exclude=_NOT_CLEANED)
    return goal


@transaction.atomic
def goal_delete(*, goal: Goal) -> None:
    goal.delete()


def _lock(goal: Goal) -> None:
    Goal.objects.select_for_update().get(pk=goal.pk)


@transaction.atomic
def goal_entry_create(
    *,
    goal: Goal,
    amount: Decimal,
    kind: str = GoalEntry.Kind.CONTRIBUTION,
    date: date | None = None,
    note: str = "",
) -> GoalEntry:
    """Put money into a goal or take it out; saved never goes below zero.
    The date defaults to today in the user's timezone."""
    _lock(goal)
    if kind == GoalEntry.Kind.WITHDRAWAL:
        saved = goal_saved(goal=goal)
        if amount > saved:
            raise ValidationError(
                {"amount": [f"Only {saved} is saved toward this goal; a withdrawal cannot take it below zero."]}
            )
    return GoalEntry.objects.create(goal=goal, kind=kind, amount=amount, date=date or user_today(goal.user), note=note)


@transaction.atomic
def goal_entry_delete(*, entry: GoalEntry) -> None:
    """Remove an entry; removing a contribution may not leave saved below zero."""
    _lock(entry.goal)
    if entry.kind == GoalEntry.Kind.CONTRIBUTION and goal_saved(goal=entry.goal) - entry.amount < 0:
        raise ValidationError(
            "Deleting this contribution would take the saved amount below zero; delete a withdrawal first."
        )
    entry.delete()
