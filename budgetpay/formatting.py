"""Showing amounts of money to a person: one formatter for the pages, the notifications and
the assistant, in the person's own locale (CLDR data through Babel).

`format_money(Decimal("1234.5"), "USD", "en_US")` is "$1,234.50"; in "de-DE" an EUR amount
is "1.234,50 €". Each currency keeps its own number of minor digits: amounts are stored
with 2 decimal places, so a JPY amount is rounded to whole yen and a BHD amount written
with 3 places ("BHD 1,234.500"). Rounding is half up, as people round money (babel's own
is half even, which shows 1234.50 JPY as "¥1,234"). Negative amounts carry a true minus
sign (U+2212) where the locale's is the ASCII hyphen, as the pages always showed them.

Where no locale is passed, the one in effect for the request is used: the signed-in
person's `locale`, else the browser's first known Accept-Language, else DEFAULT_LOCALE
(`RequestLocaleMiddleware` sets it; outside a request it is DEFAULT_LOCALE). Text stored
for later (a notification, an assistant's answer) is formatted with the person's locale
explicitly, when it is written. API bodies and exports keep plain decimal strings.

Locale names are BCP 47 tags as browsers send them ("de-DE"); "de_DE" is read too.
Anything a client sends is length-capped and checked character by character before Babel
sees it, and the Accept-Language header is read with string operations on a capped prefix.
"""

import unicodedata
from collections.abc import Callable
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache, partial

from babel import Locale, UnknownLocaleError
from babel.core import get_global, parse_locale
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
    get_territory_currencies,
)
from django.http import HttpRequest, HttpResponse

DEFAULT_LOCALE = "en"
MAX_LOCALE_CHARS = 35  # BCP 47's longest useful tags (language-script-region-variant) fit
# Django reads at most this much of Accept-Language too; browsers send well under 100.
MAX_ACCEPT_LANGUAGE_CHARS = 500
MAX_LANGUAGE_RANGES = 20
_LOCALE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
# Tags that parse but name no language a person reads ("und" resolves to en-US in CLDR).
_NOT_LANGUAGES = frozenset({"root", "und", "i", "x"})
MINUS = "\u2212"
NBSP = "\u00a0"


class LocaleError(ValueError):
    """Not a locale Budget Pay can format for; the message says so, for a person."""


def normalize_locale(value: object) -> str:
    """The canonical BCP 47 tag of a locale CLDR knows ("de_de" → "de-DE"), or LocaleError."""
    if not isinstance(value, str):
        raise LocaleError("Enter a locale such as en-US or de-DE.")
    text = value.strip()
    if len(text) > MAX_LOCALE_CHARS:
        raise LocaleError(f"A locale is at most {MAX_LOCALE_CHARS} characters, such as en-US or de-DE.")
    if not text or not _LOCALE_CHARS.issuperset(text):
        raise LocaleError("Enter a locale such as en-US or de-DE: letters, digits and hyphens.")
    return _normalized(text.replace("_", "-"))


@lru_cache(maxsize=1024)
def _normalized(tag: str) -> str:
    if tag.split("-", 1)[0].lower() in _NOT_LANGUAGES:
        raise LocaleError(f"{tag} is not a locale; use one such as en-US or de-DE.")
    unknown = LocaleError(f"{tag} is not a locale Budget Pay knows; use one such as en-US or de-DE.")
    try:
        language, territory, script, variant = parse_locale(tag, sep="-")[:4]
        locale = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise unknown from exc
    # Babel falls back to the nearest locale it has ("no-such-thing" → "no"); only a script
    # that is the language's usual one may be dropped ("en-Latn-US" → "en-US").
    if (
        locale.language != language
        or (territory and locale.territory != territory)
        or (variant and locale.variant != variant)
        or (script and script not in (locale.script, _likely_script(language)))
    ):
        raise unknown
    return _tag(locale)


def _likely_script(language: str) -> str | None:
    likely = get_global("likely_subtags").get(language)  # "en" → "en_Latn_US"
    return parse_locale(likely)[2] if likely else None


def _tag(locale: Locale) -> str:
    return "-".join(part for part in (locale.language, locale.script, locale.territory, locale.variant) if part)


@lru_cache(maxsize=256)  # every amount on a page asks for it; parsing a locale is not free
def _babel_locale(locale: str | None) -> Locale:
    """The Babel locale for a stored or passed name; DEFAULT_LOCALE for one it cannot read,
    so showing an amount never fails."""
    try:
        return Locale.parse(normalize_locale(locale or DEFAULT_LOCALE), sep="-")
    except LocaleError:
        return Locale.parse(DEFAULT_LOCALE)


@cache
def locale_choices() -> list[tuple[str, str]]:
    """Every language and language-region CLDR has data for, by English name:
    ("de-DE", "German (Germany) · Deutsch (Deutschland)")."""
    from babel.localedata import locale_identifiers

    choices = []
    for identifier in locale_identifiers():
        locale = Locale.parse(identifier)
        if locale.script or locale.variant or locale.language in _NOT_LANGUAGES:
            continue
        tag = _tag(locale)
        english, native = locale.get_display_name("en") or tag, locale.get_display_name()
        label = english if not native or native == english else f"{english} · {native}"
        choices.append((tag, label))
    return sorted(choices, key=lambda choice: choice[1].casefold())


def locales_from_accept_language(header: str) -> list[str]:
    """The known locales a browser's Accept-Language asks for, most wanted first
    ("de-DE,de;q=0.9,en;q=0.8" → ["de-DE", "de", "en"]). Unknown tags and "*" are left out."""
    ranges = []
    for position, part in enumerate(header[:MAX_ACCEPT_LANGUAGE_CHARS].split(",")[:MAX_LANGUAGE_RANGES]):
        tag, _, parameters = part.partition(";")
        weight = _quality(parameters)
        if weight > 0:
            ranges.append((-weight, position, tag.strip()))
    found = []
    for _weight, _position, tag in sorted(ranges):
        try:
            locale = normalize_locale(tag)
        except LocaleError:
            continue
        if locale not in found:
            found.append(locale)
    return found


def _quality(parameters: str) -> float:
    """The q= weight of a language range: 1 when absent, 0 (left out) when unreadable."""
    name, _, value = parameters.strip().partition("=")
    if not parameters.strip():
        return 1.0
    if name.strip().lower() != "q" or not 0 < len(value.strip()) <= 5:
        return 0.0
    digits = value.strip()
    if not all(char in "0123456789." for char in digits):
        return 0.0
    try:
        weight = float(digits)
    except ValueError:
        return 0.0
    return weight if 0 <= weight <= 1 else 0.0


def locale_from_accept_language(header: str) -> str | None:
    """The browser's first known locale, or None."""
    found = locales_from_accept_language(header)
    return found[0] if found else None


def currency_for_locale(locale: str | None) -> str | None:
    """The currency in use today in the locale's region ("de-DE" → "EUR"); a language
    without a region takes CLDR's likely one ("de" → Germany, "en" → the United States).
    None when the region has no currency of its own (e.g. "en-001", the world)."""
    if not locale:
        return None
    babel_locale = _babel_locale(locale)
    territory = babel_locale.territory or _likely_territory(babel_locale.language)
    if not territory:
        return None
    currencies = get_territory_currencies(territory, tender=True)
    return currencies[0] if currencies else None


def _likely_territory(language: str) -> str | None:
    likely = get_global("likely_subtags").get(language)  # "de" → "de_Latn_DE"
    return parse_locale(likely)[1] if likely else None


def format_money(
    amount: Decimal | int | str | None, currency: str, locale: str | None = None, *, signed: bool = False
) -> str:
    """The amount as a person reads it in `locale` (the request's, when None). With
    `signed`, a plus sign marks money coming in. See the module's docstring for rounding."""
    babel_locale = _babel_locale(locale or active_locale())
    digits = get_currency_precision(currency)
    value = Decimal(amount or 0).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if value == 0:
        value = abs(value)  # never "−$0.00"
    # Babel lays out a negative amount as the locale does ("-$1.00", "€ -1,00", "-1,00 €");
    # a positive one with a plus takes the same places, so it is laid out as a negative.
    text = format_currency(-abs(value) if value > 0 and signed else value, currency, locale=babel_locale)
    text = _space_letters_from_digits(text, get_currency_symbol(currency, locale=babel_locale))
    if value < 0 or (signed and value > 0):
        minus = get_minus_sign_symbol(locale=babel_locale)
        sign = (MINUS if minus == "-" else minus) if value < 0 else get_plus_sign_symbol(locale=babel_locale)
        text = text.replace(minus, sign, 1)
    return text


def currency_symbol(currency: str, locale: str | None = None) -> str:
    """The currency's symbol in `locale` (the request's, when None): "$", "€", "CA$";
    the ISO code itself where CLDR has no symbol for it there ("CHF")."""
    return get_currency_symbol(currency, locale=_babel_locale(locale or active_locale()))


def _space_letters_from_digits(text: str, symbol: str) -> str:
    """CLDR's currency spacing, which Babel leaves out: a symbol written in letters ("BHD",
    "CHF") is kept apart from the digits by a no-break space ("BHD 1,234.500", not
    "BHD1,234.500"); a sign-like symbol ("$", "€") is not."""
    start = text.find(symbol)
    if not symbol or start < 0:
        return text
    end = start + len(symbol)
    if end < len(text) and text[end].isdigit() and not _symbol_or_space(symbol[-1]):
        text = f"{text[:end]}{NBSP}{text[end:]}"
    if start > 0 and text[start - 1].isdigit() and not _symbol_or_space(symbol[0]):
        text = f"{text[:start]}{NBSP}{text[start:]}"
    return text


def _symbol_or_space(char: str) -> bool:
    return unicodedata.category(char)[0] in ("S", "Z")


# --- The locale of the request being answered ------------------------------------------------

_request_locale: ContextVar[Callable[[], str] | None] = ContextVar("budgetpay_request_locale", default=None)


def active_locale() -> str:
    """The locale amounts are shown in while the current request is answered."""
    source = _request_locale.get()
    return source() if source is not None else DEFAULT_LOCALE


def request_locale(request: HttpRequest) -> str:
    """The signed-in person's locale, else the browser's, else DEFAULT_LOCALE. Read once per
    request, and only when something is formatted (it may load the session's user)."""
    cached = getattr(request, "_budgetpay_locale", None)
    if cached is None:
        user = getattr(request, "user", None)
        own = getattr(user, "locale", "") if user is not None and user.is_authenticated else ""
        cached = own or locale_from_accept_language(request.headers.get("Accept-Language", "")) or DEFAULT_LOCALE
        request._budgetpay_locale = cached
    return cached


class RequestLocaleMiddleware:
    """Makes `request_locale(request)` the locale `format_money` uses while the response is
    built (templates render inside it), so the pages' money filter needs no locale argument."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request_locale.set(partial(request_locale, request))
        try:
            return self.get_response(request)
        finally:
            _request_locale.reset(token)


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
