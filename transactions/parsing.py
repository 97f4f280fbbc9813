"""Reading money amounts and tags from text, shared by the API and the CSV import.

Amounts are written as plain decimals ("1234.56", "-12.50"). Exponent notation
("1e5"), NaN and Infinity are refused everywhere, so a value means the same
thing whether it comes from JSON, a form or a spreadsheet.
"""

import re
from decimal import ROUND_DOWN, Decimal

MAX_INTEGER_DIGITS = 12
CENT = Decimal("0.01")
MAX_TAGS = 20
MAX_TAG_LENGTH = 32

_PLAIN_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_EXPONENT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)e[+-]?\d+$", re.IGNORECASE)
_TAG_FORBIDDEN = re.compile(r"[,;\x00-\x1f\x7f]")


class AmountError(ValueError):
    """The text is not an amount of money; the message says why, for a person."""


def parse_decimal(text: str) -> Decimal:
    """A plain decimal number with at most 12 integer digits and 2 decimal places."""
    text = text.strip()
    if len(text) > 40:
        raise AmountError(f"Use at most {MAX_INTEGER_DIGITS} digits before the decimal point.")
    if not _PLAIN_DECIMAL.match(text):
        if text.lstrip("+-").lower() in ("nan", "snan", "inf", "infinity"):
            raise AmountError("Enter a finite number such as 12.50.")
        if _EXPONENT.match(text):
            raise AmountError("Write the amount as a plain number such as 100000.00, without an exponent.")
        raise AmountError("Enter a number such as 12.50.")
    value = Decimal(text)
    if abs(value) >= Decimal(10) ** MAX_INTEGER_DIGITS:
        raise AmountError(f"Use at most {MAX_INTEGER_DIGITS} digits before the decimal point.")
    if value != value.quantize(CENT, rounding=ROUND_DOWN):
        raise AmountError("Use at most 2 decimal places.")
    return value.quantize(CENT)


def normalize_tags(tags: list[str]) -> list[str]:
    """Tags stripped, without repeats (ignoring case), in the order given."""
    if len(tags) > MAX_TAGS:
        raise ValueError(f"Use at most {MAX_TAGS} tags.")
    seen: set[str] = set()
    result: list[str] = []
    for raw in tags:
        tag = raw.strip()
        if not tag:
            raise ValueError("A tag cannot be empty.")
        if len(tag) > MAX_TAG_LENGTH:
            raise ValueError(f"Tags are at most {MAX_TAG_LENGTH} characters: {tag[:40]!r} is longer.")
        if _TAG_FORBIDDEN.search(tag):
            raise ValueError(f"Tags cannot contain commas, semicolons or control characters: {tag!r}.")
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            result.append(tag)
    return result
