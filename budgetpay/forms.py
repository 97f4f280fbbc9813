"""The page kit's form pieces, shared by every app's forms: the money and date fields a
person types into, the kind buttons, the currency list, a row's form filled from the row,
and how a service's ValidationError lands on a form. Forms parse and check what was typed;
the writes (and the domain rules) are the services'."""

from decimal import Decimal
from functools import cache

import pycountry
from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from budgetpay.money import MoneyFormField
from budgetpay.validators import validate_user_date

MONEY_LIMIT = Decimal("999999999999.99")  # 14 digits, 2 after the point (the models' MONEY)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to the field it names when the
    form has that field, above the form otherwise."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def money_field(label: str, **kwargs) -> MoneyFormField:
    """An amount above zero, read by the platform's one money parser (as the API reads it)."""
    return MoneyFormField(
        label=label,
        min_value=Decimal("0.01"),
        max_value=MONEY_LIMIT,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
        error_messages={"required": "Enter an amount.", "min_value": "Enter an amount above zero."},
        **kwargs,
    )


def kind_field(choices: list[tuple[str, str]], *, label: str) -> forms.ChoiceField:
    """Buttons for which kind of row this is (an expense or income, money in or out), the first chosen at first."""
    return forms.ChoiceField(choices=choices, initial=choices[0][0], widget=forms.RadioSelect, label=label)


class RowForm(forms.Form):
    """The form of a model's row, its fields named as the model's: `initial_from(row)` fills
    each field from the row (a related row by its id, as a choice of rows takes it)."""

    @classmethod
    def initial_from(cls, row: models.Model) -> dict:
        return {name: getattr(row, row._meta.get_field(name).attname) for name in cls.base_fields}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(**kwargs) -> forms.DateField:
    """A date typed on a page, inside the window every date a person sends keeps to."""
    kwargs.setdefault("error_messages", {"invalid": "Enter a date like 2026-01-31."})
    return forms.DateField(widget=DateInput, validators=[validate_user_date], **kwargs)


@cache
def currency_choices() -> list[tuple[str, str]]:
    """Every ISO 4217 currency as (code, "code — name"), for a person's and an account's currency."""
    return sorted((currency.alpha_3, f"{currency.alpha_3} — {currency.name}") for currency in pycountry.currencies)
