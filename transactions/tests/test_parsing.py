"""Amounts and tags as people and banks write them."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transactions.csv_cells import parse_statement_amount, resolve_date_format
from transactions.parsing import AmountError, normalize_tags, parse_decimal

money = st.decimals(min_value=Decimal("-999999999999.99"), max_value=Decimal("999999999999.99"), places=2)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12.5", "12.50"),
        ("-0.01", "-0.01"),
        ("+7", "7.00"),
        (" 3.10 ", "3.10"),
        ("12.500", "12.50"),
        (".5", "0.50"),
        ("999999999999.99", "999999999999.99"),
    ],
)
def test_plain_decimals(text, value):
    assert parse_decimal(text) == Decimal(value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("NaN", "finite"),
        ("-sNaN", "finite"),
        ("Infinity", "finite"),
        ("-inf", "finite"),
        ("1e5", "exponent"),
        ("2.5E-1", "exponent"),
        ("12.345", "2 decimal places"),
        ("1000000000000", "12 digits"),
        ("9" * 200, "12 digits"),
        ("1,000", "number"),
        ("ten", "number"),
        ("", "number"),
        ("--1", "number"),
        ("0x10", "number"),
    ],
)
def test_what_is_not_an_amount_says_why(text, reason):
    with pytest.raises(AmountError, match=reason):
        parse_decimal(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,234.56", "1234.56"),
        ("-12.50", "-12.50"),
        ("(12.50)", "-12.50"),
        ("$1,234.56", "1234.56"),
        ("-$5.00", "-5.00"),
        ("($5.00)", "-5.00"),
        ("£ 3", "3.00"),
        ("12,50 €", "12.50"),
        ("1.234,56", "1234.56"),
        ("1.234.567", "1234567.00"),
        ("1 234,56", "1234.56"),
        ("12.50-", "-12.50"),
        ("EUR 7.10", "7.10"),
        ("7.10 USD", "7.10"),
        ("\u22124.00", "-4.00"),
        ("+0.99", "0.99"),
        ("1,5", "1.50"),
    ],
)
def test_statement_amounts(text, value):
    assert parse_statement_amount(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "  ", "$"])
def test_a_blank_statement_amount_is_none(text):
    assert parse_statement_amount(text) is None


@pytest.mark.parametrize("text", ["()", "-", "1e3", "NaN", "12.345", "1.2.3,4,5", "abc", "--5"])
def test_bad_statement_amounts_raise(text):
    with pytest.raises(AmountError):
        parse_statement_amount(text)


@settings(max_examples=50)
@given(value=money)
def test_every_amount_reads_back_however_a_bank_writes_it(value):
    assert parse_decimal(str(value)) == value
    magnitude = f"{abs(value):,.2f}"
    negative = value < 0
    assert parse_statement_amount(("-" if negative else "") + magnitude) == value
    assert parse_statement_amount(f"({magnitude})" if negative else magnitude) == value
    european = magnitude.replace(",", " ").replace(".", ",")
    assert parse_statement_amount(f"{'-' if negative else ''}{european} €") == value


def test_tags_are_stripped_and_kept_once():
    assert normalize_tags([" Trip ", "trip", "food"]) == ["Trip", "food"]


@pytest.mark.parametrize("tags", [[""], ["a" * 33], ["a,b"], ["a;b"], ["tab\there"], [str(i) for i in range(21)]])
def test_bad_tags_raise(tags):
    with pytest.raises(ValueError):
        normalize_tags(tags)


@pytest.mark.parametrize(
    ("given_format", "pattern"), [("DD/MM/YYYY", "%d/%m/%Y"), ("mm/dd/yyyy", "%m/%d/%Y"), ("%d %b %Y", "%d %b %Y")]
)
def test_date_formats_by_name_or_pattern(given_format, pattern):
    assert resolve_date_format(given_format) == pattern


@pytest.mark.parametrize("given_format", ["", "%H:%M", "dd mm", "%Y-%m"])
def test_unusable_date_formats_raise(given_format):
    with pytest.raises(ValueError):
        resolve_date_format(given_format)
