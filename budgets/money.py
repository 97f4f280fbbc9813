"""Decimal arithmetic shared by budgets, reports and goals: cents, percentages, and the
output field for database sums (wide enough that a sum of many large amounts still fits)."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HUNDRED = Decimal("100")

SUM_FIELD = models.DecimalField(max_digits=30, decimal_places=2)


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
