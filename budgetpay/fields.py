"""Serializer fields shared by the budgets, reports and goals APIs."""

from typing import Any

from rest_framework import serializers

from budgetpay.validators import validate_user_date


def local_date_field(**kwargs: Any) -> serializers.DateField:
    """A calendar date in the user's own timezone, inside the window every date a
    person sends keeps to (budgetpay.validators), so period arithmetic never overflows."""
    return serializers.DateField(validators=[validate_user_date], **kwargs)


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
