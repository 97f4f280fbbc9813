"""Transactions as CSV rows, in a layout the import reads back."""

from collections.abc import AsyncIterator, Iterator

from django.db.models import QuerySet

from budgetpay.csv_writer import SpreadsheetSafeWriter
from transactions.models import Transaction

HEADER = (
    "date",
    "kind",
    "amount",
    "currency",
    "account",
    "category",
    "description",
    "payee",
    "notes",
    "tags",
    "transfer_account",
    "external_id",
)
ROWS_PER_CHUNK = 500


class _Line:
    """A file-like object whose write() hands back what csv.writer wrote."""

    def write(self, value: str) -> str:
        return value


def _cells(tx: Transaction) -> list[str]:
    # Text a person typed may start with =, +, - or @; the writer keeps it text.
    return [
        tx.date.isoformat(),
        tx.kind,
        f"{tx.amount:.2f}",
        tx.account.currency,
        tx.account.name,
        tx.category.name if tx.category else "",
        tx.description,
        tx.payee,
        tx.notes,
        ", ".join(tx.tags),
        tx.transfer_account.name if tx.transfer_account else "",
        tx.external_id,
    ]


class _Chunks:
    """Collects CSV lines and hands them out ROWS_PER_CHUNK at a time."""

    def __init__(self) -> None:
        self._writer = SpreadsheetSafeWriter(_Line())
        self._lines: list[str] = [self._writer.writerow(HEADER)]

    def add(self, tx: Transaction) -> str:
        self._lines.append(self._writer.writerow(_cells(tx)))
        return self.take() if len(self._lines) >= ROWS_PER_CHUNK else ""

    def take(self) -> str:
        text, self._lines = "".join(self._lines), []
        return text


def csv_chunks(queryset: QuerySet[Transaction]) -> Iterator[str]:
    """The CSV in pieces, reading the rows from the database in batches."""
    chunks = _Chunks()
    for tx in queryset.iterator(chunk_size=ROWS_PER_CHUNK):
        if text := chunks.add(tx):
            yield text
    if text := chunks.take():
        yield text


async def acsv_chunks(queryset: QuerySet[Transaction]) -> AsyncIterator[str]:
    """The same pieces for an ASGI server, which would buffer a synchronous iterator whole."""
    chunks = _Chunks()
    async for tx in queryset.aiterator(chunk_size=ROWS_PER_CHUNK):
        if text := chunks.add(tx):
            yield text
    if text := chunks.take():
        yield text
