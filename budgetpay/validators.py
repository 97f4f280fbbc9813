"""Checks on what a person sends that every domain shares.

Dates: the calendar arithmetic behind budgets, reports and notification rules steps
back and forth from a date a person typed (a 90-day look-back, the previous month,
a week's Monday). `datetime.date` ends at year 1 and year 9999, so a date near
either end made that arithmetic overflow into a 500. Every date a person sends (the
API, the pages, statement imports, the assistant) is held to one window, wide enough
for any real ledger and far enough from both ends that no period computed from it
leaves what `date` can hold.
"""

from datetime import date

from django.core.exceptions import ValidationError

EARLIEST_USER_DATE = date(1900, 1, 1)
LATEST_USER_DATE = date(2199, 12, 31)
USER_DATE_MESSAGE = (
    f"Use a date between {EARLIEST_USER_DATE.isoformat()} and {LATEST_USER_DATE.isoformat()}."
)


def validate_user_date(value: date) -> None:
    """A date a person sent lies between EARLIEST_USER_DATE and LATEST_USER_DATE; raises
    Django's ValidationError (code "date_out_of_range") otherwise. Forms, DRF fields
    and django-filter filters all accept it in `validators=[...]`."""
    if not EARLIEST_USER_DATE <= value <= LATEST_USER_DATE:
        raise ValidationError(USER_DATE_MESSAGE, code="date_out_of_range")
