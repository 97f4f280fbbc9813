"""Reading money amounts and tags from text, shared by the API and the CSV import.

Amounts are read by the platform's one parser (budgetpay.money): plain decimals with the
digits 0-9 ("1234.56", "-12.50"); exponent notation ("1e5"), NaN, Infinity and other
scripts' digits are refused everywhere, so a value means the same thing whether it comes
from JSON, a form or a spreadsheet. Tags are checked with string operations only.
"""

from budgetpay.money import AmountError, parse_decimal

__all__ = ["MAX_TAGS", "MAX_TAG_LENGTH", "AmountError", "normalize_tags", "parse_decimal"]

MAX_TAGS = 20
MAX_TAG_LENGTH = 32
_TAG_FORBIDDEN = frozenset(",;\x7f") | frozenset(chr(code) for code in range(0x20))


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
        if any(char in _TAG_FORBIDDEN for char in tag):
            raise ValueError(f"Tags cannot contain commas, semicolons or control characters: {tag!r}.")
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            result.append(tag)
    return result
