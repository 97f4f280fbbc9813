"""Serializer fields shared by the budgets, reports and goals APIs."""

from datetime import date
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from rest_framework import serializers

# Calendar arithmetic (week starts, previous periods) stays well inside what
# `datetime.date` can represent.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def local_date_field(**kwargs: Any) -> serializers.DateField:
    """A calendar date in the user's own timezone, between 1900 and 2999."""
    validators = [MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)]
    return serializers.DateField(validators=validators, **kwargs)


def money_field(**kwargs: Any) -> serializers.DecimalField:
    """A computed amount of money, rendered as a string with 2 decimal places."""
    return serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True, **kwargs)


def percent_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True, **kwargs)


def choice_field(choices: list[str], name: str, **kwargs: Any) -> serializers.ChoiceField:
    """A choice whose error lists every allowed value."""
    allowed = ", ".join(choices)
    return serializers.ChoiceField(
        choices=choices,
        error_messages={"invalid_choice": f'"{{input}}" is not a valid {name}; use one of: {allowed}.'},
        **kwargs,
    )
