"""How amounts are shown on the pages. Full amounts come from the platform's one formatter
(budgetpay.formatting, in the person's locale); chart axes use the compact labels below.
Amounts stay Decimal until they become text."""

from decimal import ROUND_HALF_UP, Decimal

from budgetpay.formatting import currency_symbol
from budgetpay.formatting import format_money as platform_format_money

NBSP = "\u00a0"


def format_money(amount: Decimal | int | None, currency: str, *, signed: bool = False) -> str:
    """The platform's formatter (budgetpay.formatting) in the locale of the request being
    answered: `1234.5, "USD"` → "$1,234.50" for an "en" person, "1.234,50 $" for "de-DE"."""
    return platform_format_money(amount, currency, signed=signed)


def _trimmed(number: Decimal, places: str) -> str:
    text = f"{number.quantize(Decimal(places), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_money_short(amount: Decimal | int, currency: str) -> str:
    """A compact label for chart axes: "$1.3k", "$350", "40k CHF"."""
    value = Decimal(amount)
    if abs(value) >= 1_000_000:
        digits = _trimmed(value / 1_000_000, "0.1") + "M"
    elif abs(value) >= 1000:
        digits = _trimmed(value / 1000, "0.1") + "k"
    else:
        digits = _trimmed(value, "1")
    symbol = currency_symbol(currency)  # CLDR's, in the request's locale
    return f"{digits}{NBSP}{currency}" if symbol == currency else f"{symbol}{digits}"
