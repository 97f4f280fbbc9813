"""Checks on what a person sends that every domain shares.

Dates: the calendar arithmetic behind budgets, reports and notification rules steps
back and forth from a date a person typed (a 90-day look-back, the previous month,
a week's Monday). `datetime.date` ends at year 1 and year 9999, so a date near
either end made that arithmetic overflow into a 500. Every date a person sends (the
API, the pages, statement imports, the assistant) is held to one window, wide enough
for any real ledger and far enough from both ends that no period computed from it
leaves what `date` can hold.
"""

import zoneinfo
from datetime import date
from functools import cache

import pycountry
from django.core.exceptions import ValidationError

from budgetpay.formatting import LocaleError, normalize_locale

EARLIEST_USER_DATE = date(1900, 1, 1)
LATEST_USER_DATE = date(2199, 12, 31)
USER_DATE_MESSAGE = f"Use a date between {EARLIEST_USER_DATE.isoformat()} and {LATEST_USER_DATE.isoformat()}."


def validate_user_date(value: date) -> None:
    """A date a person sent lies between EARLIEST_USER_DATE and LATEST_USER_DATE; raises
    Django's ValidationError (code "date_out_of_range") otherwise. Forms, DRF fields
    and django-filter filters all accept it in `validators=[...]`."""
    if not EARLIEST_USER_DATE <= value <= LATEST_USER_DATE:
        raise ValidationError(USER_DATE_MESSAGE, code="date_out_of_range")


# A person's settings: currency, time zone and locale.
# Names in the zoneinfo folders that are not places: "localtime" is whatever zone the
# server runs in, "Factory" a placeholder that reads "-00", "posixrules" a template for
# POSIX TZ strings, and posix/ and right/ (leap seconds) copies of the whole database.
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})
_NOT_PLACE_FOLDERS = ("posix/", "right/")


@cache
def _timezones() -> frozenset[str]:
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name not in _NOT_PLACES and not name.startswith(_NOT_PLACE_FOLDERS)
    )


def validate_currency(value: str) -> None:
    """An ISO 4217 alphabetic code, upper case (USD, EUR, INR...)."""
    if (
        not isinstance(value, str)
        or len(value) != 3
        or not value.isupper()
        or pycountry.currencies.get(alpha_3=value) is None
    ):
        raise ValidationError(
            "%(value)s is not an ISO 4217 currency code (for example USD, EUR, INR).",
            code="invalid_currency",
            params={"value": value},
        )


def validate_timezone(value: str) -> None:
    """An IANA time zone name of a real place (Europe/Berlin, America/New_York, UTC...)."""
    if value not in _timezones():
        raise ValidationError(
            "%(value)s is not an IANA time zone name (for example Europe/Berlin).",
            code="invalid_timezone",
            params={"value": value},
        )


def validate_locale(value: str) -> None:
    """A locale CLDR knows, written as its canonical BCP 47 tag (en, en-US, de-DE...).
    Forms and serializers normalise what a person typed ("de_de") before this sees it."""
    try:
        canonical = normalize_locale(value)
    except LocaleError as exc:
        raise ValidationError(str(exc), code="invalid_locale") from exc
    if canonical != value:
        raise ValidationError(
            "Write the locale as %(canonical)s.", code="invalid_locale", params={"canonical": canonical}
        )
