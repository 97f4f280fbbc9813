"""Factory functions for ledger rows in tests. They write through the ORM so a
test can set up any state; the code under test goes through services."""

from datetime import date
from decimal import Decimal

from transactions.models import Account, Category, Transaction


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
