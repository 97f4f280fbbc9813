"""Reading the cells of a bank statement: dates in the formats banks write them (and
which of day and month comes first), amounts as banks write them, and the text of a cell.
String operations and anchored patterns only: what a cell costs does not depend on what
it holds (budgetpay/tests/test_patterns.py measures the patterns)."""

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

from budgetpay.money import ASCII_DIGITS
from transactions.parsing import AmountError, parse_decimal

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


def show(text: str) -> str:
    """A cell's text quoted for a message, cut short."""
    return repr(text if len(text) <= 40 else text[:40] + "…")


# ASCII digits only (Python's \d takes "２０２６" too). Each is anchored and has one way to
# match, so a cell costs one pass; budgetpay/tests/test_patterns.py measures it.
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.+\-Z ]*)?$", re.ASCII)
_YEAR_FIRST = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$", re.ASCII)
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", re.ASCII)
YEAR_LAST = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$", re.ASCII)
_MONTH_NAME_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y")


class DateReader:
    def __init__(self, date_format: str | None, order: str | None) -> None:
        self.date_format = date_format
        self.order = order

    def read(self, text: str) -> date:
        if self.date_format:
            try:
                return datetime.strptime(text, self.date_format).date()
            except ValueError:
                raise ValueError(f"{show(text)} does not match the date format {self.date_format}.") from None
        if match := _ISO.match(text) or _YEAR_FIRST.match(text):
            year, month, day = match.groups()
        elif match := _DOTTED.match(text):
            day, month, year = match.groups()
        elif match := YEAR_LAST.match(text):
            first, second, year = match.groups()
            day, month = (first, second) if self.order == "day_first" else (second, first)
        else:
            return self._read_month_name(text)
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(f"{show(text)} is not a real date.") from None

    @staticmethod
    def _read_month_name(text: str) -> date:
        collapsed = " ".join(text.replace(".", " ").split()).replace(" ,", ",")
        for pattern in _MONTH_NAME_FORMATS:
            try:
                return datetime.strptime(collapsed, pattern).date()
            except ValueError:
                continue
        raise ValueError(f"{show(text)} is not a date this import understands (for example 2026-01-31 or 31/01/2026).")


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
        raise AmountError(f"The amount is {len(text)} characters long; an amount has at most {MAX_AMOUNT_CELL_CHARS}.")
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


def cell(value: str) -> str:
    """The cell's text, without the apostrophe spreadsheets use to keep =, +, - and @ as text."""
    value = value.strip()
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value
