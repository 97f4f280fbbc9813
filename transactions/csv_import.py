"""Reading bank statement CSV files: encoding, delimiter, column layout, dates, amounts.

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
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError

from budgetpay.money import ASCII_DIGITS
from budgetpay.validators import validate_user_date
from transactions.parsing import AmountError, normalize_tags, parse_decimal

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

DATE_FORMATS = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "YYYY/MM/DD": "%Y/%m/%d",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "DD-MM-YYYY": "%d-%m-%Y",
    "MM-DD-YYYY": "%m-%d-%Y",
    "DD.MM.YYYY": "%d.%m.%Y",
    "MMM D, YYYY": "%b %d, %Y",
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


# The strptime directives a date pattern may use, each at most once. strptime turns the
# pattern into a regular expression: a directive twice ("%d %d %m %Y") made it raise re.error
# (a 500), and only these keep that expression a fixed sequence of small groups.
DATE_PATTERN_DIRECTIVES = frozenset("dmbBYyaAHIMSp")


def resolve_date_format(value: str) -> str:
    """A strptime pattern from a name like DD/MM/YYYY or from a pattern like %d/%m/%Y."""
    named = {name.casefold(): pattern for name, pattern in DATE_FORMATS.items()}
    if value.strip().casefold() in named:
        return named[value.strip().casefold()]
    if (
        "%d" in value
        and any(part in value for part in ("%m", "%b", "%B"))
        and any(part in value for part in ("%Y", "%y"))
        and _directives_once(value)
    ):
        return value
    raise ValueError(
        f"Use one of {', '.join(DATE_FORMATS)} or a pattern such as %d/%m/%Y, with each of "
        f"{' '.join('%' + d for d in sorted(DATE_PATTERN_DIRECTIVES))} at most once."
    )


def _directives_once(pattern: str) -> bool:
    """Whether every "%" starts a known directive and none appears twice."""
    _, *pieces = pattern.split("%")
    directives = [piece[:1] for piece in pieces]
    return all(d in DATE_PATTERN_DIRECTIVES for d in directives) and len(set(directives)) == len(directives)


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
    reader = _DateReader(date_format, _year_last_order(date_values) if date_format is None else None)
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
        row = _parse_row(line, {name: _cell(record[index]) for name, index in columns.items()}, reader)
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


def _show(text: str) -> str:
    """A cell's text quoted for a message, cut short."""
    return repr(text if len(text) <= 40 else text[:40] + "…")


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
            raise StatementError("mapping", f"There is no column named {_show(header)}; the file has: {_list(headers)}.")
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


# ASCII digits only (Python's \d takes "２０２６" too). Each is anchored and has one way to
# match, so a cell costs one pass; budgetpay/tests/test_patterns.py measures it.
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.+\-Z ]*)?$", re.ASCII)
_YEAR_FIRST = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$", re.ASCII)
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", re.ASCII)
_YEAR_LAST = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$", re.ASCII)
_MONTH_NAME_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y")


def _year_last_order(values: list[str]) -> str | None:
    """Whether 03/04/2026-style dates in this file put the day or the month first."""
    pairs = [(int(m[1]), int(m[2])) for m in map(_YEAR_LAST.match, values) if m]
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


class _DateReader:
    def __init__(self, date_format: str | None, order: str | None) -> None:
        self.date_format = date_format
        self.order = order

    def read(self, text: str) -> date:
        if self.date_format:
            try:
                return datetime.strptime(text, self.date_format).date()
            except ValueError:
                raise ValueError(f"{_show(text)} does not match the date format {self.date_format}.") from None
        if match := _ISO.match(text) or _YEAR_FIRST.match(text):
            year, month, day = match.groups()
        elif match := _DOTTED.match(text):
            day, month, year = match.groups()
        elif match := _YEAR_LAST.match(text):
            first, second, year = match.groups()
            day, month = (first, second) if self.order == "day_first" else (second, first)
        else:
            return self._read_month_name(text)
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(f"{_show(text)} is not a real date.") from None

    @staticmethod
    def _read_month_name(text: str) -> date:
        collapsed = " ".join(text.replace(".", " ").split()).replace(" ,", ",")
        for pattern in _MONTH_NAME_FORMATS:
            try:
                return datetime.strptime(collapsed, pattern).date()
            except ValueError:
                continue
        raise ValueError(f"{_show(text)} is not a date this import understands (for example 2026-01-31 or 31/01/2026).")


# Longer than this, an amount cell is an error, not something to parse: no bank writes
# one so long, and every step below then looks at a bounded text.
MAX_AMOUNT_CELL_CHARS = 40
# Characters banks put inside numbers: spaces of every kind and the Swiss apostrophe.
_GROUPING_CHARACTERS = frozenset("'\u00a0\u202f")


def parse_statement_amount(text: str) -> Decimal | None:
    """A signed amount as banks write it: "1,234.56", "-12.50", "(12.50)", "$12.50",
    "12,50 €", "12.50-", "USD 12.50". None for a blank cell. String operations only."""
    text = text.strip()
    if len(text) > MAX_AMOUNT_CELL_CHARS:
        raise AmountError(
            f"The amount is {len(text)} characters long; an amount has at most {MAX_AMOUNT_CELL_CHARS}."
        )
    text = _without_currency_codes(text)
    text = "".join(char for char in text if unicodedata.category(char) != "Sc")
    text = "".join(char for char in text if not (char.isspace() or char in _GROUPING_CHARACTERS))
    text = text.replace("\u2212", "-")
    if not text:
        return None
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.endswith("-"):
        negative, text = True, text[:-1]
    if text and text[0] in "+-":
        negative, text = negative or text[0] == "-", text[1:]
    if "," in text and "." in text:
        decimal_mark = "," if text.rindex(",") > text.rindex(".") else "."
        text = text.replace("." if decimal_mark == "," else ",", "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", "") if _grouped_by_thousands(text, ",", min_groups=1) else text.replace(",", ".")
    elif _grouped_by_thousands(text, ".", min_groups=2):
        text = text.replace(".", "")
    if not text or text[0] in "+-":
        raise AmountError("Enter a number such as 12.50.")
    value = parse_decimal(text)
    return -value if negative else value


def _is_currency_code(text: str) -> bool:
    return len(text) == 3 and text.isascii() and text.isalpha() and text.isupper()


def _without_currency_codes(text: str) -> str:
    """The stripped text without an ISO code ("USD 12.50", "12,50 EUR") at its start and at its end."""
    if _is_currency_code(text[:3]):
        text = text[3:].lstrip()
    if _is_currency_code(text[-3:]):
        text = text[:-3].rstrip()
    return text


def _grouped_by_thousands(text: str, separator: str, *, min_groups: int) -> bool:
    """Whether the text is 1-3 ASCII digits, then at least `min_groups` groups of the
    separator and exactly 3 digits ("1,234,567" with ",")."""
    first, *groups = text.split(separator)
    return (
        len(groups) >= min_groups
        and 1 <= len(first) <= 3
        and all(len(group) == 3 for group in groups)
        and all(char in ASCII_DIGITS for char in first + "".join(groups))
    )


def _cell(value: str) -> str:
    """The cell's text, without the apostrophe spreadsheets use to keep =, +, - and @ as text."""
    value = value.strip()
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


def _parse_row(line: int, cells: dict[str, str], dates: _DateReader) -> StatementRow | list[RowError]:
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
            errors["kind"] = [f"{_show(cells['kind'])} is not income, expense or transfer."]
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
