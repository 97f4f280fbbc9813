"""Writes on accounts, categories and transactions. Each runs in one database transaction.
Importing statements is transactions.imports'."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import RestrictedError, Sum

from budgetpay.periods import user_today
from budgetpay.services import model_update
from transactions.models import Account, Category, Transaction

DEFAULT_ACCOUNT_NAME = "Main account"
# The shares plan 70% of income: the rest is room for saving and for the person's own
# categories (at 100% a new category could take no share until another was lowered).
DEFAULT_EXPENSE_CATEGORIES = (
    ("Food", "#1f883d", Decimal("15")),
    ("Travel", "#0969da", Decimal("10")),
    ("Shopping", "#bf3989", Decimal("10")),
    ("Misc", "#6e7781", Decimal("5")),
    ("Housing", "#9a6700", Decimal("30")),
)
# How many of the other categories' shares the "too much" message names, largest first.
SHARES_NAMED = 5
DEFAULT_INCOME_CATEGORIES = (("Salary", "#1a7f37"),)
# Default categories whose spending is a fixed payment (rent), counted once by projections.
DEFAULT_FIXED_CATEGORIES = frozenset({"Housing"})

ACCOUNT_FIELDS = frozenset({"name", "kind", "currency", "opening_balance", "is_archived"})
CATEGORY_FIELDS = frozenset({"name", "kind", "color", "income_percentage", "is_fixed"})
TRANSACTION_FIELDS = frozenset(
    {
        "account",
        "amount",
        "category",
        "date",
        "description",
        "external_id",
        "kind",
        "notes",
        "payee",
        "tags",
        "transfer_account",
    }
)


@contextmanager
def _conflict_is(error: Callable[[], ValidationError]) -> Iterator[None]:
    """A unique constraint broken by a concurrent write (an IntegrityError) becomes `error()`."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise error() from exc


def _save_named(row, *, check, taken, fields: dict | None = None, allowed: frozenset[str] = frozenset()):
    """Save a new account or category, or change `fields` of one (`allowed` names those a
    caller may change). The row is validated whole but for its owner, then `check` keeps its
    rules (the name not taken); a concurrent request taking the name answers `taken(row)`."""
    with _conflict_is(lambda: taken(row)):
        if fields is None:
            row.full_clean(exclude=["user"], validate_constraints=False)
            check(row)
            row.save()
        else:
            row = model_update(
                instance=row,
                fields=fields,
                allowed=allowed,
                clean_exclude=["user"],
                validate_constraints=False,
                check=check,
            )
    return row


def _fixed_once_used(row, fields: dict, name: str, *, used: Callable[[], bool], message: str) -> None:
    """Refuse to change `name` of a row already in use (`used()`), saying `message`."""
    if name in fields and fields[name] != getattr(row, name) and used():
        raise ValidationError({name: [message]})


# --- Accounts -------------------------------------------------------------------------------


def _account_name_taken(account: Account) -> ValidationError:
    return ValidationError({"name": [f"You already have an account named {account.name!r}."]})


def _check_account_name(account: Account) -> None:
    if Account.objects.filter(user=account.user, name__iexact=account.name).exclude(pk=account.pk).exists():
        raise _account_name_taken(account)


@transaction.atomic
def account_create(
    *,
    user,
    name: str,
    kind: str = Account.Kind.BANK,
    currency: str | None = None,
    opening_balance: Decimal = Decimal("0.00"),
    is_archived: bool = False,
) -> Account:
    """A new account; its currency defaults to the user's."""
    account = Account(
        user=user,
        name=name,
        kind=kind,
        currency=currency or user.currency,
        opening_balance=opening_balance,
        is_archived=is_archived,
    )
    return _save_named(account, check=_check_account_name, taken=_account_name_taken)


@transaction.atomic
def account_create_default(*, user) -> Account:
    """The account a new user starts with, so they can record an expense right away."""
    return account_create(user=user, name=DEFAULT_ACCOUNT_NAME, kind=Account.Kind.BANK)


@transaction.atomic
def account_update(*, account: Account, **fields: Any) -> Account:
    """Change an account. Its currency is fixed once it has transactions."""
    _fixed_once_used(
        account,
        fields,
        "currency",
        used=lambda: _account_has_transactions(account),
        message="This account already has transactions in its currency; open a new account instead.",
    )
    return _save_named(
        account, check=_check_account_name, taken=_account_name_taken, fields=fields, allowed=ACCOUNT_FIELDS
    )


def _account_has_transactions(account: Account) -> bool:
    return account.transactions.exists() or account.incoming_transfers.exists()


@transaction.atomic
def account_delete(*, account: Account) -> None:
    """Delete an empty account. One with transactions is archived instead, by the user."""
    try:
        account.delete()
    except RestrictedError as exc:
        raise ValidationError(
            "This account has transactions, so it cannot be deleted. Archive it instead "
            "(set is_archived to true): it keeps its history and leaves your lists."
        ) from exc


# --- Categories -----------------------------------------------------------------------------


def _check_category(category: Category) -> None:
    duplicates = Category.objects.filter(user=category.user, kind=category.kind, name__iexact=category.name).exclude(
        pk=category.pk
    )
    if duplicates.exists():
        raise ValidationError({"name": [f"You already have a {category.kind} category named {category.name!r}."]})
    if category.income_percentage is None:
        return
    if category.kind != Category.Kind.EXPENSE:
        raise ValidationError({"income_percentage": ["Only expense categories plan a share of income."]})
    # Lock the user's row so two requests cannot both take the last free percentage.
    get_user_model().objects.select_for_update().filter(pk=category.user_id).first()
    planned = Category.objects.filter(user=category.user).exclude(pk=category.pk).aggregate(
        total=Sum("income_percentage")
    )["total"] or Decimal("0")
    if planned + category.income_percentage > 100:
        raise ValidationError(
            {
                "income_percentage": [
                    f"Your other categories already plan {_percent(planned)}% of income; "
                    f"this one can have at most {_percent(100 - planned)}%. {_how_to_make_room(category)}"
                ]
            }
        )


def _how_to_make_room(category: Category) -> str:
    """Which shares to lower, largest first: "To make room, lower one of these: Housing 30%, Food 15%"."""
    shares = (
        Category.objects.filter(user=category.user, income_percentage__gt=0)
        .exclude(pk=category.pk)
        .order_by("-income_percentage", "name")
        .values_list("name", "income_percentage")
    )
    named = ", ".join(f"{name} {_percent(share)}%" for name, share in shares[:SHARES_NAMED])
    more = shares[SHARES_NAMED:].count()
    return f"To make room, lower one of these: {named}{f' and {more} more' if more else ''}."


def _percent(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')).normalize():f}"


def _category_name_taken(category: Category) -> ValidationError:
    return ValidationError({"name": [f"You already have a category named {category.name!r}."]})


@transaction.atomic
def category_create(
    *,
    user,
    name: str,
    kind: str = Category.Kind.EXPENSE,
    color: str = "#6e7781",
    income_percentage: Decimal | None = None,
    is_fixed: bool = False,
) -> Category:
    """A new category. Expense categories may plan a share of income; the user's shares never pass 100%."""
    category = Category(
        user=user, name=name, kind=kind, color=color, income_percentage=income_percentage, is_fixed=is_fixed
    )
    return _save_named(category, check=_check_category, taken=_category_name_taken)


@transaction.atomic
def category_create_defaults(*, user) -> list[Category]:
    """The categories a new user starts with; their income shares leave 30% unplanned."""
    categories = [
        Category(
            user=user,
            name=name,
            kind=Category.Kind.EXPENSE,
            color=color,
            income_percentage=share,
            is_fixed=name in DEFAULT_FIXED_CATEGORIES,
        )
        for name, color, share in DEFAULT_EXPENSE_CATEGORIES
    ] + [
        Category(user=user, name=name, kind=Category.Kind.INCOME, color=color)
        for name, color in DEFAULT_INCOME_CATEGORIES
    ]
    return Category.objects.bulk_create(categories)


@transaction.atomic
def category_update(*, category: Category, **fields: Any) -> Category:
    """Change a category. Its kind is fixed once transactions use it."""
    _fixed_once_used(
        category,
        fields,
        "kind",
        used=category.transactions.exists,
        message="Transactions use this category; create a new category of the other kind instead.",
    )
    return _save_named(
        category, check=_check_category, taken=_category_name_taken, fields=fields, allowed=CATEGORY_FIELDS
    )


@transaction.atomic
def category_delete(*, category: Category) -> None:
    """Delete a category. Its transactions stay, uncategorised."""
    category.delete()


# --- Transactions ---------------------------------------------------------------------------


def _check_transaction(tx: Transaction, *, changed: set[str]) -> None:
    """The rules every transaction keeps, whoever writes it, once Transaction.clean() has
    found its accounts and category to be the owner's. `changed` names the accounts being
    set, so an old transaction on a since-archived account can still be edited."""
    errors: dict[str, list[str]] = {}
    if tx.account.is_archived and "account" in changed:
        errors["account"] = ["This account is archived; unarchive it to add transactions."]
    if tx.kind == Transaction.Kind.TRANSFER:
        if tx.category is not None:
            errors["category"] = ["Transfers between your accounts have no category."]
        if tx.transfer_account is None:
            errors["transfer_account"] = ["A transfer needs the account the money goes to."]
        elif tx.transfer_account.pk == tx.account.pk:
            errors["transfer_account"] = ["Choose a different account from the one the money leaves."]
        elif tx.transfer_account.currency != tx.account.currency:
            errors["transfer_account"] = [
                f"Both accounts must use the same currency ({tx.account.currency} and {tx.transfer_account.currency})."
            ]
        elif tx.transfer_account.is_archived and "transfer_account" in changed:
            errors["transfer_account"] = ["This account is archived; unarchive it to add transactions."]
    else:
        if tx.transfer_account is not None:
            errors["transfer_account"] = ["Only transfers have a transfer account."]
        if tx.category is not None and tx.category.kind != tx.kind:
            errors["category"] = [f"{tx.category.name} is an {tx.category.kind} category; this is an {tx.kind}."]
    if tx.external_id and (
        Transaction.objects.filter(account=tx.account, external_id=tx.external_id).exclude(pk=tx.pk).exists()
    ):
        errors["external_id"] = ["Another transaction in this account already has this external id."]
    if errors:
        raise ValidationError(errors)


# The related fields' own checks would look each row up again; Transaction.clean(), which
# full_clean() always runs, checks they are the owner's.
_NOT_CLEANED = ("user", "account", "category", "transfer_account")


def _external_id_taken() -> ValidationError:
    return ValidationError({"external_id": ["Another transaction in this account already has this external id."]})


def _external_id_guard(external_id: str):
    """Only a row with an external id can meet a concurrent write taking it (a savepoint otherwise costs for nothing)."""
    return _conflict_is(_external_id_taken) if external_id else nullcontext()


def _save_transaction(tx: Transaction, *, changed: set[str]) -> Transaction:
    tx.full_clean(exclude=_NOT_CLEANED, validate_constraints=False)
    _check_transaction(tx, changed=changed)
    with _external_id_guard(tx.external_id):
        tx.save()
    return tx


@transaction.atomic
def transaction_create(
    *,
    user,
    account: Account,
    amount: Decimal,
    kind: str = Transaction.Kind.EXPENSE,
    date: date | None = None,
    category: Category | None = None,
    transfer_account: Account | None = None,
    description: str = "",
    payee: str = "",
    notes: str = "",
    tags: list[str] | None = None,
    external_id: str = "",
) -> Transaction:
    """Record money in, out, or between two of the user's accounts. The date defaults
    to today where the user lives."""
    if account.user_id != user.pk:
        raise ValidationError({"account": ["Choose one of your own."]})
    tx = Transaction(
        user=user,
        account=account,
        amount=amount,
        kind=kind,
        date=date or user_today(user),
        category=category,
        transfer_account=transfer_account,
        description=description,
        payee=payee,
        notes=notes,
        tags=tags or [],
        external_id=external_id,
    )
    return _save_transaction(tx, changed={"account", "transfer_account"})


@transaction.atomic
def transaction_update(*, transaction: Transaction, **fields: Any) -> Transaction:
    """Change a transaction; the result must keep every rule a new one keeps."""
    changed = {
        name
        for name, value in fields.items()
        if name in ("account", "transfer_account") and value != getattr(transaction, name)
    }
    with _external_id_guard(fields.get("external_id", transaction.external_id)):
        transaction = model_update(
            instance=transaction,
            fields=fields,
            allowed=TRANSACTION_FIELDS,
            clean_exclude=_NOT_CLEANED,
            validate_constraints=False,
            check=lambda tx: _check_transaction(tx, changed=changed),
        )
    return transaction


@transaction.atomic
def transaction_delete(*, transaction: Transaction) -> None:
    transaction.delete()
