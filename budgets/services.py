"""Writes on budgets. Each runs in one database transaction."""

from datetime import date
from decimal import Decimal

from django.db import transaction

from budgetpay.periods import user_today
from budgetpay.services import model_update
from budgets.models import Budget, default_thresholds
from transactions.models import Category

BUDGET_FIELDS = frozenset({"name", "category", "amount", "period", "start_date", "rollover", "thresholds"})
# Budget.clean() checks the category is one of the owner's expense categories; the
# field's own check would look it up once more.
_NOT_CLEANED = ("user", "category")


def _ascending(thresholds: object) -> object:
    """Thresholds are stored ascending; anything but a list of numbers is left for
    Budget.thresholds' validator (validate_thresholds) to refuse."""
    if not isinstance(thresholds, list):
        return thresholds
    try:
        return sorted(thresholds)
    except TypeError:
        return thresholds


@transaction.atomic
def budget_create(
    *,
    user,
    amount: Decimal,
    name: str = "",
    category: Category | None = None,
    period: str = Budget.Period.MONTHLY,
    start_date: date | None = None,
    rollover: bool = False,
    thresholds: list[int] | None = None,
) -> Budget:
    """A budget for one of the user's expense categories (or all spending), starting
    today in the user's timezone unless a start date is given."""
    budget = Budget(user=user, name=name, category=category, amount=amount, period=period, rollover=rollover)
    budget.start_date = start_date or user_today(user)
    budget.thresholds = _ascending(thresholds) if thresholds is not None else default_thresholds()
    budget.full_clean(exclude=_NOT_CLEANED)  # the model's rules, which the admin's form applies too
    budget.save()
    return budget


@transaction.atomic
def budget_update(*, budget: Budget, **fields: object) -> Budget:
    """Change a budget (BUDGET_FIELDS); the result keeps every rule of the model."""
    if "thresholds" in fields:
        fields["thresholds"] = _ascending(fields["thresholds"])
    budget = model_update(instance=budget, fields=fields, allowed=BUDGET_FIELDS, clean_exclude=_NOT_CLEANED)
    return budget


@transaction.atomic
def budget_delete(*, budget: Budget) -> None:
    budget.delete()
