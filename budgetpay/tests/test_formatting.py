"""The one money formatter (budgetpay/formatting.py): exact strings per locale and currency,
locale names, and what a browser's Accept-Language suggests."""

from decimal import Decimal

import pytest
from django.test import RequestFactory

from budgetpay.formatting import (
    MAX_ACCEPT_LANGUAGE_CHARS,
    MAX_LOCALE_CHARS,
    LocaleError,
    active_locale,
    currency_for_locale,
    format_money,
    locale_from_accept_language,
    locales_from_accept_language,
    normalize_locale,
    request_locale,
)

NBSP = "\u00a0"
NNBSP = "\u202f"  # French groups digits with a narrow no-break space
MINUS = "\u2212"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1234.5", "USD", "en_US", "$1,234.50"),
        ("1234.5", "USD", "en-US", "$1,234.50"),
        ("1234.5", "EUR", "de_DE", f"1.234,50{NBSP}€"),
        ("1234.5", "EUR", "fr-FR", f"1{NNBSP}234,50{NBSP}€"),
        ("1234.5", "GBP", "en-GB", "£1,234.50"),
        ("1234.5", "USD", "en-CA", "US$1,234.50"),
        ("1234567.5", "INR", "en-IN", "₹12,34,567.50"),
        ("1234.5", "CHF", "de-CH", f"CHF{NBSP}1’234.50"),
        # JPY has no minor unit: a stored 1234.50 is rounded half up to whole yen (babel's own
        # rounding is half even and would show ¥1,234), 1234.49 down.
        ("1234.5", "JPY", "en_US", "¥1,235"),
        ("1234.49", "JPY", "en_US", "¥1,234"),
        ("1234.5", "JPY", "ja-JP", "￥1,235"),
        # BHD has three: the stored two places gain a zero; the code is kept apart from the digits.
        ("1234.5", "BHD", "en_US", f"BHD{NBSP}1,234.500"),
        ("7", "CHF", "en", f"CHF{NBSP}7.00"),
        ("-12", "EUR", "en", f"{MINUS}€12.00"),
        ("-1234.5", "EUR", "de-DE", f"{MINUS}1.234,50{NBSP}€"),
        ("-1234.5", "EUR", "nl-NL", f"€{NBSP}{MINUS}1.234,50"),
        ("-0.001", "USD", "en", "$0.00"),
        ("0", "JPY", "en", "¥0"),
    ],
)
def test_exact_strings(amount, currency, locale, expected):
    assert format_money(Decimal(amount), currency, locale) == expected


def test_signed_amounts_and_nothing():
    assert format_money(Decimal("40"), "GBP", "en", signed=True) == "+£40.00"
    assert format_money(Decimal("40"), "EUR", "de-DE", signed=True) == f"+40,00{NBSP}€"
    assert format_money(Decimal("-40"), "EUR", "de-DE", signed=True) == f"{MINUS}40,00{NBSP}€"
    assert format_money(None, "USD", "en") == "$0.00"


def test_an_unreadable_stored_locale_falls_back_instead_of_failing():
    assert format_money(Decimal("1"), "USD", "zz-such-thing") == "$1.00"


def test_outside_a_request_the_default_locale_is_used():
    assert active_locale() == "en"
    assert format_money(Decimal("1234.5"), "EUR") == "€1,234.50"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("de_DE", "de-DE"),
        ("de-de", "de-DE"),
        ("EN", "en"),
        ("en-US", "en-US"),
        ("en-Latn-US", "en-US"),  # the language's usual script is left out
        ("zh-TW", "zh-Hant-TW"),
        ("sr-Latn", "sr-Latn"),
        (" fr-CA ", "fr-CA"),
    ],
)
def test_locales_are_read_in_either_spelling(typed, canonical):
    assert normalize_locale(typed) == canonical


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   ",
        "xx",
        "junk",
        "root",
        "und",
        "de DE",
        "de@euro",
        "en_US.UTF-8",
        "en-US-x-foo",
        "<script>",
        # Babel would fall back to the nearest it has ("no-such-thing" → Norwegian); refused instead.
        "no-such-thing",
        "en-ZZ",
        "en-Abcd",
        "de-1901",
        "x" * (MAX_LOCALE_CHARS + 1),
        7,
        None,
    ],
)
def test_junk_is_not_a_locale(junk):
    with pytest.raises(LocaleError):
        normalize_locale(junk)


def test_accept_language_in_order_of_preference():
    assert locales_from_accept_language("de-DE,de;q=0.9,en;q=0.8") == ["de-DE", "de", "en"]
    assert locales_from_accept_language("en;q=0.5, fr-CH, *;q=0.1, xx") == ["fr-CH", "en"]
    assert locales_from_accept_language("ja;q=0, en;q=abc, es;q=1e3, pt-BR;q=0.7") == ["pt-BR"]
    assert locale_from_accept_language("") is None


def test_accept_language_reads_a_bounded_prefix_of_a_huge_header():
    # What it costs does not grow with what is sent: the header is cut before it is split.
    header = "xx;q=0.5," * 200_000 + "de-DE"
    assert len(header) > 100 * MAX_ACCEPT_LANGUAGE_CHARS
    assert locales_from_accept_language(header) == []
    assert locales_from_accept_language("de-DE," + "x" * 1_000_000) == ["de-DE"]


@pytest.mark.parametrize(
    ("locale", "currency"),
    [
        ("de-DE", "EUR"),
        ("de", "EUR"),
        ("de-CH", "CHF"),
        ("en-GB", "GBP"),
        ("en", "USD"),
        ("ja", "JPY"),
        ("pt-BR", "BRL"),
        ("en-001", None),
        (None, None),
    ],
)
def test_the_currency_of_a_locales_region(locale, currency):
    assert currency_for_locale(locale) == currency


def test_a_request_is_formatted_in_the_browsers_locale_until_someone_signs_in(user):
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert request_locale(request) == "de-DE"
    signed_in = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="de-DE")
    signed_in.user = user
    assert request_locale(signed_in) == "en"  # the person's own wins over the browser's
