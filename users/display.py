"""How amounts are shown on the pages: grouped digits, the currency's symbol where it is
unambiguous, a true minus sign. Amounts stay Decimal until they become text here."""

from decimal import ROUND_HALF_UP, Decimal

# Symbols people read without thinking; any other currency is shown by its ISO code.
CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "CNY": "CN¥",
    "KRW": "₩",
    "NGN": "₦",
    "BRL": "R$",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "MXN": "MX$",
    "ILS": "₪",
    "PHP": "₱",
    "VND": "₫",
    "UAH": "₴",
    "TRY": "₺",
}
MINUS = "\u2212"
NBSP = "\u00a0"


def format_money(amount: Decimal | int | None, currency: str, *, signed: bool = False) -> str:
    """`1234.5, "USD"` → "$1,234.50"; `-12, "CHF"` → "−12.00 CHF". With `signed`, a plus
    sign marks money coming in."""
    value = Decimal(amount or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = MINUS if value < 0 else ("+" if signed and value > 0 else "")
    digits = f"{abs(value):,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{digits}"
    return f"{sign}{digits}{NBSP}{currency}"


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
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{digits}" if symbol else f"{digits}{NBSP}{currency}"
