"""Importing bank statements into an account: each row read by the CSV parser
(transactions.csv_import) becomes a transaction, rows imported before are recognised by
their fingerprint and skipped, and the new ones are inserted together. Each import runs
in one database transaction; a large one runs as a job in batches
(transactions.import_jobs) through the same steps: `import_plan`, `rows_insert`."""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from transactions.csv_import import RowError, StatementRow, parse_statement
from transactions.models import Account, Category, Transaction
from transactions.signals import transactions_imported

IMPORT_BATCH_SIZE = 1000
HASH_LOOKUP_CHUNK = 10_000
# Where the report lists a problem of a row as a whole (no one column): the API's name for it.
WHOLE_ROW = "non_field_errors"
# What a statement row's transaction takes from it as it is, and what of the transaction
# the report shows again beside its row.
CARRIED = ("kind", "amount", "date", "description", "payee", "notes", "tags")
REPORTED = ("date", "kind", "amount", "description", "payee")


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
    # What is wrong with the rows that were skipped, by line: each RowError names its
    # column (None: the row as a whole) and says what is wrong.
    problems: list[RowError] = field(default_factory=list)

    @property
    def errors(self) -> list[dict]:
        """The problems as the API reports them: per line, the messages by column,
        [{"row": 4, "errors": {"amount": ["Enter a number such as 12.50."]}}, ...]."""
        lines: dict[int, dict[str, list[str]]] = {}
        for problem in self.problems:
            lines.setdefault(problem.line, {}).setdefault(problem.column or WHOLE_ROW, []).append(problem.message)
        return [{"row": line, "errors": by_column} for line, by_column in lines.items()]


def _fields(source: object, names: tuple[str, ...]) -> dict:
    return {name: getattr(source, name) for name in names}


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


def _row_transaction(
    user, account: Account, row: StatementRow, categories: dict, accounts: dict
) -> Transaction | list[RowError]:
    """The transaction a statement row becomes, or what is wrong with it."""
    problems = [
        RowError(row.line, name, f"At most {limit} characters.")
        for name, limit in _TEXT_LIMITS.items()
        if len(getattr(row, name)) > limit
    ]
    if row.currency and row.currency != account.currency:
        problems.append(
            RowError(row.line, "currency", f"This row is in {row.currency}; the account is in {account.currency}.")
        )
    transfer_account = None
    if row.kind == Transaction.Kind.TRANSFER:
        transfer_account = accounts.get(row.transfer_account.casefold())
        if transfer_account is None:
            problem = f"You have no open account named {row.transfer_account[:100]!r}."
        elif transfer_account.pk == account.pk:
            problem = "The money cannot move to the account it leaves."
        elif transfer_account.currency != account.currency:
            problem = f"{transfer_account.name} is in {transfer_account.currency}, not {account.currency}."
        else:
            problem = ""
        if problem:
            problems.append(RowError(row.line, "transfer_account", problem))
    if problems:
        return problems
    return Transaction(
        user=user,
        account=account,
        transfer_account=transfer_account,
        category=categories.get((row.kind, row.category.casefold())) if row.category else None,
        **_fields(row, CARRIED),
    )


@dataclass
class ImportPlan:
    """What a statement becomes before anything is written: the report's heading (`report`,
    its counts still zero) and, in line order, each data line as the transaction it becomes
    (with its import hash) or the problems that skip it."""

    report: ImportReport
    lines: list[tuple[StatementRow, Transaction] | list[RowError]]

    @property
    def candidates(self) -> list[tuple[StatementRow, Transaction]]:
        return [line for line in self.lines if isinstance(line, tuple)]


def check_import_account(*, user, account: Account) -> None:
    if account.user_id != user.pk:
        raise ValidationError({"account": ["Choose one of your own."]})
    if account.is_archived:
        raise ValidationError({"account": ["This account is archived; unarchive it to import into it."]})


def import_plan(
    *,
    user,
    account: Account,
    content: bytes,
    mapping: dict[str, str] | None = None,
    date_format: str | None = None,
    dry_run: bool = False,
) -> ImportPlan:
    """Read the statement and decide what each line becomes; writes nothing. Raises the
    parser's StatementError (a ValidationError) for a file that is not a statement."""
    statement = parse_statement(content, mapping=mapping, date_format=date_format)
    report = ImportReport(
        account=account.pk,
        dry_run=dry_run,
        layout=statement.layout,
        columns=statement.columns,
        date_format=statement.date_format,
        date_order=statement.date_order,
    )
    categories = {(c.kind, c.name.casefold()): c for c in Category.objects.filter(user=user)}
    accounts = {a.name.casefold(): a for a in Account.objects.filter(user=user, is_archived=False)}

    by_line: dict[int, tuple[StatementRow, Transaction] | list[RowError]] = {}
    for problem in statement.errors:
        by_line.setdefault(problem.line, []).append(problem)
    occurrences: Counter[tuple[str, str, str, str]] = Counter()
    for row in statement.rows:
        identity = _row_identity(row)
        occurrence = occurrences[identity]
        occurrences[identity] += 1
        tx = _row_transaction(user, account, row, categories, accounts)
        if isinstance(tx, Transaction):
            tx.import_hash = import_hash(account=account, row=row, occurrence=occurrence)
            by_line[row.line] = (row, tx)
        else:
            by_line[row.line] = tx
    plan = ImportPlan(report=report, lines=[by_line[line] for line in sorted(by_line)])
    report.problems = [problem for line in plan.lines if isinstance(line, list) for problem in line]
    return plan


class ConcurrentImport(ValidationError):
    """Another import inserted some of the same rows while this one ran; it inserted none."""

    def __init__(self) -> None:
        super().__init__(
            {"file": ["Another import added some of these rows at the same moment; nothing was imported. Try again."]}
        )


def new_rows(*, user, candidates: list[tuple[StatementRow, Transaction]]) -> tuple[list[Transaction], set[str]]:
    """The candidates not imported before (by import hash), and the hashes that were."""
    existing = _existing_hashes(user, [tx.import_hash for _, tx in candidates])
    return [tx for _, tx in candidates if tx.import_hash not in existing], existing


def rows_insert(new: list[Transaction]) -> None:
    """Insert these rows, in batches, all or none; ConcurrentImport when another import
    inserted one of them first (the unique import hash)."""
    if not new:
        return
    try:
        with transaction.atomic():
            Transaction.objects.bulk_create(new, batch_size=IMPORT_BATCH_SIZE)
    except IntegrityError as exc:
        raise ConcurrentImport() from exc


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
    check_import_account(user=user, account=account)
    plan = import_plan(
        user=user, account=account, content=content, mapping=mapping, date_format=date_format, dry_run=dry_run
    )
    report, candidates = plan.report, plan.candidates
    new, existing = new_rows(user=user, candidates=candidates)
    if new and not dry_run:
        rows_insert(new)
        report.created = len(new)
        transactions_imported.send(sender=Transaction, user=user, count=len(new))
    report.new = len(new)
    report.duplicates = len(candidates) - len(new)
    new_status = "new" if dry_run else "created"
    report.rows = [
        ImportedRow(
            row=row.line,
            **_fields(tx, REPORTED),
            category=tx.category_id,
            transfer_account=tx.transfer_account_id,
            status="duplicate" if tx.import_hash in existing else new_status,
            id=tx.pk,
        )
        for row, tx in candidates
    ]
    return report
