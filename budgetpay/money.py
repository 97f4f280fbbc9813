"""Reading amounts of money that people send: one parser and one API field for every domain.

An amount is a plain decimal written with the ASCII digits 0-9 ("1234.56", "-12.50"), at
most 12 digits before the point and 2 after. Exponent notation ("1e3"), NaN, Infinity and
other scripts' digits ("０１２", which Python's `Decimal()` and `\\d` accept) are refused
everywhere, so a value means the same thing from JSON, a form, a spreadsheet or the
assistant: the API reads amounts with `MoneyField`, the pages' forms with `MoneyFormField`. The parser uses no regular expression and looks at no more than
MAX_AMOUNT_CHARS characters, so what it costs does not depend on what it is sent.
"""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from rest_framework import serializers

MAX_INTEGER_DIGITS = 12
MAX_AMOUNT_CHARS = 40
CENT = Decimal("0.01")
ASCII_DIGITS = frozenset("0123456789")
_NOT_FINITE = frozenset(("nan", "snan", "inf", "infinity"))


class AmountError(ValueError):
    """The text is not an amount of money; the message says why, for a person."""


def parse_decimal(text: str) -> Decimal:
    """A plain decimal number with at most 12 integer digits and 2 decimal places."""
    text = text.strip()
    if len(text) > MAX_AMOUNT_CHARS:
        raise AmountError(f"Use at most {MAX_INTEGER_DIGITS} digits before the decimal point.")
    if not _is_plain_decimal(text):
        raise AmountError(_why_not_plain(text))
    value = Decimal(text)
    if abs(value) >= Decimal(10) ** MAX_INTEGER_DIGITS:
        raise AmountError(f"Use at most {MAX_INTEGER_DIGITS} digits before the decimal point.")
    if value != value.quantize(CENT, rounding=ROUND_DOWN):
        raise AmountError("Use at most 2 decimal places.")
    return value.quantize(CENT)


def _is_plain_decimal(text: str) -> bool:
    """An optional sign, ASCII digits with at most one point, and at least one digit."""
    unsigned = text[1:] if text[:1] in ("+", "-") else text
    whole, _, fraction = unsigned.partition(".")
    digits = whole + fraction
    return bool(digits) and all(char in ASCII_DIGITS for char in digits)


def _why_not_plain(text: str) -> str:
    if text.lstrip("+-").lower() in _NOT_FINITE:
        return "Enter a finite number such as 12.50."
    if any(char.isdigit() and char not in ASCII_DIGITS for char in text):
        return "Write the amount with the digits 0 to 9, such as 12.50."
    unsigned = text[1:] if text[:1] in ("+", "-") else text
    mantissa, marker, exponent = unsigned.lower().partition("e")
    plain_mantissa = mantissa[:1] not in ("+", "-") and _is_plain_decimal(mantissa)
    if marker and plain_mantissa and _is_plain_decimal(exponent) and "." not in exponent:
        return "Write the amount as a plain number such as 100000.00, without an exponent."
    return "Enter a number such as 12.50."


class MoneyField(serializers.DecimalField):
    """An amount of money in an API body, read with `parse_decimal` and written back as a
    string with 2 decimal places. `positive` refuses zero and below with `positive_message`."""

    def __init__(
        self, *, positive: bool = False, positive_message: str = "Enter an amount above zero.", **kwargs: Any
    ) -> None:
        self.positive = positive
        self.positive_message = positive_message
        super().__init__(max_digits=14, decimal_places=2, **kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, str | int | float | Decimal):
            self.fail("invalid")
        try:
            value = parse_decimal(repr(data) if isinstance(data, float) else str(data))
        except AmountError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        if self.positive and value <= 0:
            raise serializers.ValidationError(self.positive_message)
        return value


class MoneyFormField(forms.DecimalField):
    """An amount of money typed on a page, read with `parse_decimal`. Django's own
    DecimalField hands the text to `Decimal()`, which takes "1e3" and "０１２"; here the
    parser's message is the form error. Limits (min_value, max_value) and their messages
    work as on DecimalField; 14 digits with 2 after the point, as the models store money."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MAX_INTEGER_DIGITS + 2)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return parse_decimal(repr(value) if isinstance(value, float) else str(value))
        except AmountError as exc:
            raise ValidationError(str(exc), code="invalid") from exc


# Decimal arithmetic for budgets, reports and goals: cents, percentages, and the output
# field for database sums (wide enough that a sum of many large amounts still fits).
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")

SUM_FIELD = models.DecimalField(max_digits=30, decimal_places=2)


def optional_non_negative_decimal(*, max_digits: int) -> dict[str, Any]:
    """The arguments of a model DecimalField for a figure a person may leave unset (NULL, blank
    in forms) and never sets below zero, to the cent: a category's share of income, a monthly
    savings goal."""
    return {
        "max_digits": max_digits,
        "decimal_places": 2,
        "null": True,
        "blank": True,
        "validators": [MinValueValidator(Decimal("0"))],
    }


def cents(value: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    return value.quantize(CENT, rounding=rounding)


def summed(value: Decimal | float | None) -> Decimal:
    """A database sum in cents: None (no rows) is zero. SQLite sums decimals as floats, so
    its results are rounded back to cents here."""
    return ZERO if value is None else cents(Decimal(value))


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """`part` as a percentage of `whole`, to 2 decimal places; None when `whole` is zero."""
    if not whole:
        return None
    return cents(part * HUNDRED / whole)


def change_percent(current: Decimal, previous: Decimal) -> Decimal | None:
    """Change from `previous` to `current` in percent of the size of `previous`
    (so a net going from -100 to -50 is +50 %); None when `previous` is zero."""
    if not previous:
        return None
    return cents((current - previous) * HUNDRED / abs(previous))
