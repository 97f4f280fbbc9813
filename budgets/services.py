"""Writes on budgets. Each runs in one database transaction."""

from datetime import date
from decimal import Decimal

from django.db import transaction

from budgetpay.periods import user_today
from budgets.models import Budget, default_thresholds
from transactions.models import Category


@transaction.atomic
def budget_create(
    *,
    user,
    amount: Decimal,
    period: str = Budget.Period.MONTHLY,
    category: Category | None = None,
    name: str = "",
    start_date: date | None = None,
    rollover: bool = False,
    thresholds: list[int] | None = None,
) -> Budget:
    """A budget for one of the user's expense categories (or all spending), starting
    today in the user's timezone unless a start date is given."""
    budget = Budget(
        user=user,
        name=name,
        category=category,
        amount=amount,
        period=period,
        start_date=start_date or user_today(user),
        rollover=rollover,
        thresholds=thresholds if thresholds is not None else default_thresholds(),
    )
    budget.clean()  # the ownership rule the admin's form applies too
    budget.save()
    return budget


@transaction.atomic
def budget_update(*, budget: Budget, **fields: object) -> Budget:
    for name, value in fields.items():
        setattr(budget, name, value)
    budget.clean()
    budget.save(update_fields=[*fields.keys()])
    return budget


@transaction.atomic
def budget_delete(*, budget: Budget) -> None:
    budget.delete()
