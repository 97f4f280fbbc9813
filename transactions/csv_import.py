"""Reading bank statement CSV files: encoding, delimiter, column layout, rows. The cells'
dates and amounts are read by transactions.csv_cells.

Nothing here touches the database: `parse_statement` turns bytes into rows and
per-row errors (`RowError`: the line, the column, the message), and raises
`StatementError` for problems with the file as a whole (not CSV, empty, columns not
recognised, ambiguous dates): what is wrong and, apart, how an API client puts it right,
so a page can say that its own way. A StatementError is a Django ValidationError whose
message is both together, which the API answers as a 400.
"""

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError

from budgetpay.validators import validate_user_date
from transactions.csv_cells import (
    YEAR_LAST,
    DateReader,
    cell,
    parse_statement_amount,
    show,
)
from transactions.parsing import AmountError, normalize_tags

MAX_COLUMNS = 50
MAX_ROWS = 50_000

# Field -> header names that mean it, best first. Fields are resolved in this
# order and each column serves one field, so "Memo" is the description only
# when the file has no better description column (then it is the notes).
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": (
        "date",
        "transaction date",
        "posting date",
        "posted date",
        "post date",
        "booking date",
        "value date",
        "trans date",
        "date posted",
    ),
    "amount": ("amount", "transaction amount", "amt", "value", "sum"),
    "debit": (
        "debit",
        "debits",
        "debit amount",
        "withdrawal",
        "withdrawals",
        "withdrawal amount",
        "money out",
        "paid out",
        "outflow",
    ),
    "credit": (
        "credit",
        "credits",
        "credit amount",
        "deposit",
        "deposits",
        "deposit amount",
        "money in",
        "paid in",
        "inflow",
    ),
    "kind": ("kind", "type", "transaction type", "debit/credit", "dr/cr", "cr/dr"),
    "description": (
        "description",
        "details",
        "transaction details",
        "transaction description",
        "narrative",
        "particulars",
        "memo",
        "payee",
        "merchant",
        "name",
        "reference",
    ),
    "payee": ("payee", "merchant", "counterparty", "name"),
    "notes": ("notes", "note", "memo", "comment", "comments"),
    "category": ("category",),
    "tags": ("tags", "tag", "labels"),
    "currency": ("currency", "ccy"),
    "transfer_account": ("transfer account", "to account"),
}
IMPORT_FIELDS = tuple(FIELD_SYNONYMS)

KIND_WORDS = {
    "income": "income",
    "credit": "income",
    "cr": "income",
    "deposit": "income",
    "expense": "expense",
    "debit": "expense",
    "dr": "expense",
    "withdrawal": "expense",
    "transfer": "transfer",
}

LAYOUT_EXAMPLES = (
    '{"date": "<date column>", "description": "<text column>", "amount": "<signed amount column>"}',
    '{"date": "<date column>", "description": "<text column>", "debit": "<money out column>", "credit": "<money in column>"}',
)


@dataclass(frozen=True)
class StatementRow:
    line: int
    date: date
    amount: Decimal  # always positive; `kind` gives the direction
    kind: str
    description: str = ""
    payee: str = ""
    notes: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    currency: str = ""
    transfer_account: str = ""


@dataclass(frozen=True)
class RowError:
    """One problem of one line of the file: `column` is the field it concerns (date,
    amount, debit, kind, tags...), None for the row as a whole."""

    line: int
    column: str | None
    message: str


class StatementError(ValidationError):
    """A problem with the file as a whole. `field` is what to change (file, mapping or
    date_format), `problem` what is wrong, `hint` how an API client puts it right (empty
    when the problem says it). As a ValidationError it reads {field: ["problem hint"]}."""

    def __init__(self, field: str, problem: str, hint: str = "") -> None:
        self.field = field
        self.problem = problem
        self.hint = hint
        super().__init__({field: [f"{problem} {hint}" if hint else problem]})


@dataclass
class Statement:
    headers: list[str]
    layout: str  # "signed_amount", "debit_credit" or "amount_and_kind"
    columns: dict[str, str]  # field -> header of the column it was read from
    date_format: str | None
    date_order: str | None  # "day_first" / "month_first" when the file needed deciding
    rows: list[StatementRow]
    errors: list[RowError]


def parse_statement(
    content: bytes, *, mapping: dict[str, str] | None = None, date_format: str | None = None
) -> Statement:
    """Rows of a bank statement, whatever its common layout; see the module docstring."""
    headers, records = _read_records(_decode(content))
    columns = _resolve_columns(headers, mapping or {}, records)
    layout = (
        "debit_credit"
        if "debit" in columns or "credit" in columns
        else ("amount_and_kind" if "kind" in columns else "signed_amount")
    )
    date_values = [record[columns["date"]].strip() for _, record in records]
    reader = DateReader(date_format, _year_last_order(date_values) if date_format is None else None)
    statement = Statement(
        headers=headers,
        layout=layout,
        columns={name: headers[index] for name, index in columns.items()},
        date_format=date_format,
        date_order=reader.order,
        rows=[],
        errors=[],
    )
    for line, record in records:
        row = _parse_row(line, {name: cell(record[index]) for name, index in columns.items()}, reader)
        if isinstance(row, StatementRow):
            statement.rows.append(row)
        else:
            statement.errors.extend(row)
    return statement


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode(content: bytes) -> str:
    if not content.strip():
        raise StatementError("file", "The file is empty.")
    not_csv = StatementError("file", "This is not a CSV text file. Export the statement from your bank as CSV.")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    elif b"\x00" in content:
        raise not_csv
    else:
        # Spreadsheet programs on Windows still save CSV as cp1252.
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL_CHARACTERS.search(text):
            raise not_csv
        return text
    raise not_csv


def _read_records(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t|", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    try:
        line = 1
        for record in reader:
            if not any(cell.strip() for cell in record):
                line = reader.line_num + 1
                continue
            if headers is None:
                if len(record) > MAX_COLUMNS:
                    raise StatementError(
                        "file", f"The file has {len(record)} columns; a statement has at most {MAX_COLUMNS}."
                    )
                headers = [cell.strip() for cell in record]
            else:
                if len(records) == MAX_ROWS:
                    raise StatementError(
                        "file", f"The file has more than {MAX_ROWS} rows; split it into smaller files."
                    )
                records.append((line, record))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise StatementError("file", f"The CSV is malformed near line {reader.line_num}: {exc}.") from exc
    if headers is None:
        raise StatementError("file", "The file is empty.")
    if not records:
        raise StatementError("file", "The file has a header row but no transactions.")
    width = len(headers)
    # Short rows are padded with blank cells; cells past the last header are ignored.
    return headers, [(line, record + [""] * (width - len(record))) for line, record in records]


def _normalize_header(header: str) -> str:
    """Casefolded words, without "(...)" asides, with "_" and "-" read as spaces.
    String operations only: a header is text the uploader chose (see _without_asides)."""
    words = _without_asides(header).replace("_", " ").replace("-", " ").split()
    return " ".join(words).casefold()


def _without_asides(text: str) -> str:
    """The text without each "(" up to the next ")" on its line, in one pass. A search for
    the closing parenthesis from every "(" would cost the square of a line of "(((("."""
    kept: list[str] = []
    for line in text.split("\n"):
        start = 0
        while (opening := line.find("(", start)) >= 0 and (closing := line.find(")", opening + 1)) >= 0:
            kept.append(line[start:opening])
            start = closing + 1
        kept.append(line[start:])
        kept.append("\n")
    return "".join(kept[:-1])


def _resolve_columns(
    headers: list[str], mapping: dict[str, str], records: list[tuple[int, list[str]]]
) -> dict[str, int]:
    """Field -> column index: the mapping first, then header synonyms for the rest."""
    normalized = [_normalize_header(header) for header in headers]
    columns: dict[str, int] = {}
    for name, header in mapping.items():
        matches = [i for i, found in enumerate(headers) if found == header] or [
            i for i, found in enumerate(normalized) if found == _normalize_header(header)
        ]
        if not matches:
            raise StatementError("mapping", f"There is no column named {show(header)}; the file has: {_list(headers)}.")
        columns[name] = matches[0]
    amount_given = "amount" in mapping
    debit_credit_given = "debit" in mapping or "credit" in mapping
    for name, synonyms in FIELD_SYNONYMS.items():
        if name in columns or (name == "amount" and debit_credit_given):
            continue
        if name in ("debit", "credit") and (amount_given or "amount" in columns):
            continue
        used = set(columns.values())
        index = next(
            (normalized.index(s) for s in synonyms if s in normalized and normalized.index(s) not in used), None
        )
        if index is None:
            continue
        if name == "kind" and not _all_kind_words(records, index):
            continue  # a "Type" column of card networks or channels, not a direction
        columns[name] = index
    if "date" not in columns or not ({"amount", "debit", "credit"} & columns.keys()):
        raise StatementError(
            "mapping",
            f"Could not recognise the columns of this file (found: {_list(headers)}).",
            f"Send a mapping naming your columns, such as {LAYOUT_EXAMPLES[0]} or {LAYOUT_EXAMPLES[1]}.",
        )
    return columns


def _list(headers: list[str]) -> str:
    return ", ".join(header[:40] for header in headers)


def _all_kind_words(records: list[tuple[int, list[str]]], index: int) -> bool:
    values = {record[index].strip().casefold() for _, record in records} - {""}
    return bool(values) and values <= KIND_WORDS.keys()


def _year_last_order(values: list[str]) -> str | None:
    """Whether 03/04/2026-style dates in this file put the day or the month first."""
    pairs = [(int(m[1]), int(m[2])) for m in map(YEAR_LAST.match, values) if m]
    day_first = sum(1 for first, second in pairs if first > 12 >= second)
    month_first = sum(1 for first, second in pairs if second > 12 >= first)
    if day_first or month_first:
        return "day_first" if day_first >= month_first else "month_first"
    example = next((f"{a:02d}/{b:02d}" for a, b in pairs if a != b), None)
    if example:
        raise StatementError(
            "date_format",
            f"Dates such as {example} could mean day/month or month/day.",
            "Send date_format=DD/MM/YYYY or date_format=MM/DD/YYYY.",
        )
    return "day_first" if pairs else None


def _parse_row(line: int, cells: dict[str, str], dates: DateReader) -> StatementRow | list[RowError]:
    errors: dict[str, list[str]] = {}
    parsed_date = None
    if not cells["date"]:
        errors["date"] = ["The date is missing."]
    else:
        try:
            parsed_date = dates.read(cells["date"])
            validate_user_date(parsed_date)
        except ValueError as exc:
            errors["date"] = [str(exc)]
        except ValidationError as exc:  # a real date, outside the window every date a person sends keeps to
            errors["date"] = exc.messages

    amount, kind = _amount_and_kind(cells, errors)

    tags: list[str] = []
    if cells.get("tags"):
        try:
            tags = normalize_tags(cells["tags"].replace(";", ",").replace("|", ",").split(","))
        except ValueError as exc:
            errors["tags"] = [str(exc)]
    if kind == "transfer" and not cells.get("transfer_account"):
        errors["transfer_account"] = ["A transfer row needs the name of the other account."]

    if errors or parsed_date is None or amount is None or kind is None:
        return [RowError(line, column, message) for column, messages in errors.items() for message in messages]
    return StatementRow(
        line=line,
        date=parsed_date,
        amount=amount,
        kind=kind,
        description=cells.get("description", ""),
        payee=cells.get("payee", ""),
        notes=cells.get("notes", ""),
        category=cells.get("category", ""),
        tags=tags,
        currency=cells.get("currency", "").upper(),
        transfer_account=cells.get("transfer_account", "") if kind == "transfer" else "",
    )


def _amount_and_kind(cells: dict[str, str], errors: dict[str, list[str]]) -> tuple[Decimal | None, str | None]:
    """The positive amount and its direction, from a signed amount, an amount and a
    kind column, or separate debit and credit columns. Records problems in `errors`."""
    if "amount" in cells:
        try:
            signed = parse_statement_amount(cells["amount"])
        except AmountError as exc:
            errors["amount"] = [str(exc)]
            return None, None
        if not signed:
            errors["amount"] = ["The amount is missing or zero."]
            return None, None
        kind_text = cells.get("kind", "").casefold()
        if kind_text and kind_text not in KIND_WORDS:
            errors["kind"] = [f"{show(cells['kind'])} is not income, expense or transfer."]
            return None, None
        kind = KIND_WORDS.get(kind_text) or ("expense" if signed < 0 else "income")
        return abs(signed), kind

    values: dict[str, Decimal] = {}
    for name in ("debit", "credit"):
        try:
            value = parse_statement_amount(cells.get(name, ""))
        except AmountError as exc:
            errors[name] = [str(exc)]
            continue
        if value:
            values[name] = abs(value)
    if errors:
        return None, None
    if len(values) != 1:
        problem = "Both debit and credit have a value." if values else "Debit and credit are both empty or zero."
        errors["amount"] = [problem]
        return None, None
    name, value = values.popitem()
    return value, "expense" if name == "debit" else "income"
