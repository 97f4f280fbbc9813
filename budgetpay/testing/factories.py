"""Factory functions for rows in tests. They write through the ORM so a test can set up any
state; the code under test goes through services. (A notification is made through notify(),
the one door for them.)"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from django.db import transaction

from budgetpay.periods import user_today
from budgetpay.testing.clock import local_noon
from budgets.models import Budget
from goals.models import Goal, GoalEntry
from notifications.models import Notification
from notifications.services import notify
from transactions.models import Account, Category, Transaction

CONTRIBUTION, WITHDRAWAL = GoalEntry.Kind.CONTRIBUTION, GoalEntry.Kind.WITHDRAWAL


def main_account_of(user) -> Account:
    """The account every new user starts with."""
    return Account.objects.get(user=user, name="Main account")


def make_account(user, *, name: str = "Checking", currency: str | None = None, **extra) -> Account:
    return Account.objects.create(user=user, name=name, currency=currency or user.currency, **extra)


def make_category(user, *, name: str = "Food", kind: str = Category.Kind.EXPENSE, **extra) -> Category:
    """The user's category of that name and kind, with `extra` applied. New users already
    have the default categories (Food, Travel, ... Salary), so those are reused, not duplicated."""
    category, _ = Category.objects.update_or_create(
        user=user, kind=kind, name__iexact=name, defaults=extra, create_defaults={"name": name, **extra}
    )
    return category


def make_transaction(
    account: Account,
    *,
    amount: str | Decimal = "10.00",
    kind: str = Transaction.Kind.EXPENSE,
    on: date | None = None,
    category: Category | None = None,
    **extra,
) -> Transaction:
    return Transaction.objects.create(
        user=account.user,
        account=account,
        kind=kind,
        amount=Decimal(amount),
        date=on or date.today(),
        category=category,
        **extra,
    )


def make_budget(user, *, amount: str | Decimal = "100.00", start_date: date = date(2026, 1, 1), **extra) -> Budget:
    return Budget.objects.create(user=user, amount=Decimal(amount), start_date=start_date, **extra)


def make_budget_this_month(user, *, amount: str | Decimal = "100.00", **extra) -> Budget:
    """A budget whose first period is the month of today in the user's timezone."""
    return make_budget(user, amount=amount, start_date=user_today(user).replace(day=1), **extra)


def make_notification(user, title: str = "Food budget at 80 %") -> Notification:
    """A budget alert for `user`, made as every notification is (notify())."""
    return notify(
        user=user, type=Notification.Type.BUDGET_THRESHOLD, title=title, message="You have spent 80.00 of 100.00."
    )


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


@contextmanager
def rolled_back() -> Iterator[None]:
    """Undo every write made inside, so each hypothesis example starts from the same rows."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
