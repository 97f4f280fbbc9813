"""Writes on accounts, categories and transactions. Each runs in one database transaction."""

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import RestrictedError, Sum

from budgetpay.periods import user_today
from budgetpay.services import model_update
from transactions.csv_import import StatementRow, parse_statement
from transactions.models import Account, Category, Transaction
from transactions.signals import transactions_imported

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

IMPORT_BATCH_SIZE = 1000
HASH_LOOKUP_CHUNK = 10_000
ACCOUNT_FIELDS = frozenset({"name", "kind", "currency", "opening_balance", "is_archived"})
CATEGORY_FIELDS = frozenset({"name", "kind", "color", "income_percentage", "is_fixed"})
TRANSACTION_FIELDS = frozenset(
    {
        "account",
        "category",
        "kind",
        "amount",
        "date",
        "description",
        "payee",
        "notes",
        "tags",
        "external_id",
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


# --- Accounts -------------------------------------------------------------------------------


def _account_name_taken(account: Account) -> ValidationError:
    return ValidationError({"name": [f"You already have an account named {account.name!r}."]})


def _check_account_name(account: Account) -> None:
    if Account.objects.filter(user=account.user, name__iexact=account.name).exclude(pk=account.pk).exists():
        raise _account_name_taken(account)


def _save_account(account: Account) -> Account:
    account.full_clean(exclude=["user"], validate_constraints=False)
    _check_account_name(account)
    with _conflict_is(lambda: _account_name_taken(account)):  # a concurrent request took the name
        account.save()
    return account


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
    return _save_account(account)


@transaction.atomic
def account_create_default(*, user) -> Account:
    """The account a new user starts with, so they can record an expense right away."""
    return account_create(user=user, name=DEFAULT_ACCOUNT_NAME, kind=Account.Kind.BANK)


@transaction.atomic
def account_update(*, account: Account, **fields: Any) -> Account:
    """Change an account. Its currency is fixed once it has transactions."""
    if "currency" in fields and fields["currency"] != account.currency and _account_has_transactions(account):
        raise ValidationError(
            {"currency": ["This account already has transactions in its currency; open a new account instead."]}
        )
    with _conflict_is(lambda: _account_name_taken(account)):
        account, _ = model_update(
            instance=account,
            fields=fields,
            allowed=ACCOUNT_FIELDS,
            clean_exclude=["user"],
            validate_constraints=False,
            check=_check_account_name,
        )
    return account


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


def _save_category(category: Category) -> Category:
    category.full_clean(exclude=["user"], validate_constraints=False)
    _check_category(category)
    with _conflict_is(lambda: _category_name_taken(category)):
        category.save()
    return category


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
    return _save_category(
        Category(
            user=user, name=name, kind=kind, color=color, income_percentage=income_percentage, is_fixed=is_fixed
        )
    )


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
    if "kind" in fields and fields["kind"] != category.kind and category.transactions.exists():
        raise ValidationError(
            {"kind": ["Transactions use this category; create a new category of the other kind instead."]}
        )
    with _conflict_is(lambda: _category_name_taken(category)):
        category, _ = model_update(
            instance=category,
            fields=fields,
            allowed=CATEGORY_FIELDS,
            clean_exclude=["user"],
            validate_constraints=False,
            check=_check_category,
        )
    return category


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
        transaction, _ = model_update(
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


# --- Import ---------------------------------------------------------------------------------


@dataclass
class ImportedRow:
    row: int
    date: date
    kind: str
    amount: Decimal
    description: str
    payee: str
    category: int | None
    transfer_account: int | None
    status: str  # "created", "new" (dry run) or "duplicate"
    id: int | None = None


@dataclass
class ImportReport:
    account: int
    dry_run: bool
    layout: str
    columns: dict[str, str]
    date_format: str | None
    date_order: str | None
    created: int = 0
    new: int = 0
    duplicates: int = 0
    rows: list[ImportedRow] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _row_identity(row: StatementRow) -> tuple[str, str, str, str]:
    description = " ".join(row.description.split()).casefold()
    return (row.date.isoformat(), f"{row.amount:.2f}", row.kind, description)


def import_hash(*, account: Account, row: StatementRow, occurrence: int) -> str:
    """The fingerprint of a statement row: the same row of the same file always gets the
    same one; identical rows within one file differ by `occurrence` (0, 1, ...)."""
    key = "\x1f".join((str(account.pk), *_row_identity(row), str(occurrence)))
    return hashlib.sha256(key.encode()).hexdigest()


def _existing_hashes(user, hashes: list[str]) -> set[str]:
    existing: set[str] = set()
    for start in range(0, len(hashes), HASH_LOOKUP_CHUNK):
        chunk = hashes[start : start + HASH_LOOKUP_CHUNK]
        existing.update(
            Transaction.objects.filter(user=user, import_hash__in=chunk).values_list("import_hash", flat=True)
        )
    return existing


_TEXT_LIMITS = {name: Transaction._meta.get_field(name).max_length for name in ("description", "payee", "notes")}


def _row_transaction(user, account: Account, row: StatementRow, categories: dict, accounts: dict) -> Transaction:
    """The transaction a statement row becomes, or ValidationError naming its fields."""
    errors: dict[str, list[str]] = {}
    for name, limit in _TEXT_LIMITS.items():
        if len(getattr(row, name)) > limit:
            errors[name] = [f"At most {limit} characters."]
    if row.currency and row.currency != account.currency:
        errors["currency"] = [f"This row is in {row.currency}; the account is in {account.currency}."]
    transfer_account = None
    if row.kind == Transaction.Kind.TRANSFER:
        transfer_account = accounts.get(row.transfer_account.casefold())
        if transfer_account is None:
            errors["transfer_account"] = [f"You have no open account named {row.transfer_account[:100]!r}."]
        elif transfer_account.pk == account.pk:
            errors["transfer_account"] = ["The money cannot move to the account it leaves."]
        elif transfer_account.currency != account.currency:
            errors["transfer_account"] = [
                f"{transfer_account.name} is in {transfer_account.currency}, not {account.currency}."
            ]
    if errors:
        raise ValidationError(errors)
    return Transaction(
        user=user,
        account=account,
        transfer_account=transfer_account,
        category=categories.get((row.kind, row.category.casefold())) if row.category else None,
        kind=row.kind,
        amount=row.amount,
        date=row.date,
        description=row.description,
        payee=row.payee,
        notes=row.notes,
        tags=row.tags,
    )


@transaction.atomic
def transactions_import(
    *,
    user,
    account: Account,
    content: bytes,
    mapping: dict[str, str] | None = None,
    date_format: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import a bank statement CSV into `account`.

    Rows already imported (same import hash) are skipped as duplicates; rows with errors
    are reported with their line number and skipped; every other row is inserted with
    bulk_create in this one database transaction, so either all of them are added or,
    if the insert fails, none. With `dry_run` nothing is written. bulk_create sends no
    post_save, so imported rows raise no per-row notifications; `transactions_imported`
    is sent once instead, so budget thresholds are still judged.
    """
    if account.user_id != user.pk:
        raise ValidationError({"account": ["Choose one of your own."]})
    if account.is_archived:
        raise ValidationError({"account": ["This account is archived; unarchive it to import into it."]})
    statement = parse_statement(content, mapping=mapping, date_format=date_format)
    report = ImportReport(
        account=account.pk,
        dry_run=dry_run,
        layout=statement.layout,
        columns=statement.columns,
        date_format=statement.date_format,
        date_order=statement.date_order,
        errors=[{"row": error.line, "errors": error.errors} for error in statement.errors],
    )
    categories = {(c.kind, c.name.casefold()): c for c in Category.objects.filter(user=user)}
    accounts = {a.name.casefold(): a for a in Account.objects.filter(user=user, is_archived=False)}

    occurrences: Counter[tuple[str, str, str, str]] = Counter()
    candidates: list[tuple[StatementRow, Transaction]] = []
    for row in statement.rows:
        identity = _row_identity(row)
        occurrence = occurrences[identity]
        occurrences[identity] += 1
        try:
            tx = _row_transaction(user, account, row, categories, accounts)
        except ValidationError as exc:
            report.errors.append({"row": row.line, "errors": exc.message_dict})
            continue
        tx.import_hash = import_hash(account=account, row=row, occurrence=occurrence)
        candidates.append((row, tx))
    report.errors.sort(key=lambda error: error["row"])

    existing = _existing_hashes(user, [tx.import_hash for _, tx in candidates])
    new = [tx for _, tx in candidates if tx.import_hash not in existing]
    if not dry_run and new:
        try:
            with transaction.atomic():
                Transaction.objects.bulk_create(new, batch_size=IMPORT_BATCH_SIZE)
        except IntegrityError as exc:
            raise ValidationError(
                {
                    "file": [
                        "Another import added some of these rows at the same moment; nothing was imported. Try again."
                    ]
                }
            ) from exc
        report.created = len(new)
        transactions_imported.send(sender=Transaction, user=user, count=len(new))
    report.new = len(new)
    report.duplicates = len(candidates) - len(new)
    new_status = "new" if dry_run else "created"
    report.rows = [
        ImportedRow(
            row=row.line,
            date=tx.date,
            kind=tx.kind,
            amount=tx.amount,
            description=tx.description,
            payee=tx.payee,
            category=tx.category_id,
            transfer_account=tx.transfer_account_id,
            status="duplicate" if tx.import_hash in existing else new_status,
            id=tx.pk,
        )
        for row, tx in candidates
    ]
    return report
