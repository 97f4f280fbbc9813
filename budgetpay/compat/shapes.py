"""The original API's shapes, field by field: what the client sends and what it reads.

Amounts and percentages arrive as JSON numbers (the client's settings page sends strings of
digits for the person's income and goal); each is read with `budgetpay.money.parse_decimal`
(a float through its repr, so 12.3 is 12.30 and 0.1 + 0.2 is refused as 0.30000000000000004)
and stored as a Decimal. They leave as JSON numbers converted from the stored Decimal.
Ids are strings, as the original's UUIDs were; dates are the original's naive ISO 8601
date-times, midnight of the person's own day.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from budgetpay.money import MoneyField
from budgetpay.validators import validate_user_date
from transactions.models import Category, Transaction
from users.models import User

MAX_ID_CHARS = 18  # a bigint's digits
MAX_DATE_CHARS = 40  # "2025-05-01T23:59:59.999999+05:30" and room to spare
MAX_DESCRIPTION_CHARS = 1000  # categories' description, read and dropped
MAX_QUERY_CHARS = 4000  # chatbot.chat.MAX_CONTENT_CHARS


def number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def object_id(text: str) -> int | None:
    """The id in a path, or None when it cannot name any row (then the answer is a 404)."""
    if len(text) > MAX_ID_CHARS or not text.isascii() or not text.isdigit():
        return None
    return int(text)


# --- Reading ---------------------------------------------------------------------------------


class IdField(serializers.Field):
    """One of our ids, sent as the client sends ids: a string of digits (or a number)."""

    default_error_messages = {"invalid": "Input should be the id of one of your rows."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, int) and not isinstance(data, bool) and data > 0:
            return data
        if isinstance(data, str) and object_id(data):
            return int(data)
        self.fail("invalid")

    def to_representation(self, value: int) -> str:
        return str(value)


class DateTimeField(serializers.Field):
    """An ISO 8601 date or date-time, as the day it names where the person lives: a naive
    one ("2025-05-01T00:00:00", what the client sends) is already the person's own time,
    an aware one ("...Z", "...+05:30") is converted to it. Between 1900 and 2199."""

    default_error_messages = {"invalid": "Input should be a valid datetime, such as 2025-05-01T00:00:00."}

    def to_internal_value(self, data: Any) -> date:
        if not isinstance(data, str) or len(data) > MAX_DATE_CHARS:
            self.fail("invalid")
        try:
            moment = datetime.fromisoformat(data.strip())
        except ValueError:
            self.fail("invalid")
        if moment.tzinfo is not None:
            moment = moment.astimezone(ZoneInfo(self.context["user"].timezone))
        day = moment.date()
        try:
            validate_user_date(day)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return day


def percent_field(**kwargs: Any) -> MoneyField:
    return MoneyField(min_value=Decimal("0"), max_value=Decimal("100"), allow_null=True, **kwargs)


class LoginShape(serializers.Serializer):
    """OAuth2's password form, as FastAPI reads it: the email is the `username`."""

    username = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RegisterShape(serializers.Serializer):
    """fastapi-users' UserCreate; is_active, is_superuser and is_verified are ignored, as its
    safe registration ignored them."""

    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True, allow_null=True)


class EmailShape(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class TokenShape(serializers.Serializer):
    token = serializers.CharField(max_length=1024)


class ResetPasswordShape(TokenShape):
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class ProfileShape(serializers.Serializer):
    """PATCH users/me. The client sends the income and the goal as strings of digits."""

    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True, allow_null=True)
    monthly_income = MoneyField(min_value=Decimal("0"), required=False)
    savings_goal_amount = MoneyField(min_value=Decimal("0"), required=False, allow_null=True)
    # A monthly goal has no deadline here: read (so a malformed one is still a 422) and dropped.
    savings_goal_deadline = DateTimeField(required=False, allow_null=True)


class CategoryShape(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION_CHARS, required=False, allow_blank=True, allow_null=True
    )
    default_percentage = percent_field()
    custom_percentage = percent_field(required=False)
    is_default = serializers.BooleanField(required=False)
    is_fixed = serializers.BooleanField(required=False)
    color = serializers.CharField(max_length=7, required=False)

    def to_service(self) -> dict[str, Any]:
        """The fields transactions.services.category_create/update take. The one share of
        income we keep is the client's custom_percentage when it sends one, else its
        default_percentage; description and is_default have no place here."""
        data = self.validated_data
        fields = {name: data[name] for name in ("name", "is_fixed", "color") if name in data}
        for percentage in ("custom_percentage", "default_percentage"):
            if percentage in data:
                fields["income_percentage"] = data[percentage]
                break
        return fields


class TransactionShape(serializers.Serializer):
    description = serializers.CharField(max_length=255, allow_blank=True)
    amount = MoneyField(positive=True, positive_message="Input should be an amount above zero.")
    category_id = IdField(required=False, allow_null=True)
    transaction_date = DateTimeField()


class AskShape(serializers.Serializer):
    query = serializers.CharField(
        max_length=MAX_QUERY_CHARS,
        error_messages={"blank": "Write a question.", "max_length": f"Ask in at most {MAX_QUERY_CHARS} characters."},
    )


def parsed(shape: type[serializers.Serializer], data: Any, *, user: User | None = None, partial: bool = False):
    """The request body read by `shape`; a 422 listing every problem otherwise."""
    serializer = shape(data=data, partial=partial, context={"user": user})
    serializer.is_valid(raise_exception=True)
    return serializer


# --- Writing ---------------------------------------------------------------------------------


def user_read(user: User, *, is_verified: bool) -> dict[str, Any]:
    """fastapi-users' UserRead with the original's profile fields."""
    return {
        "id": str(user.pk),
        "email": user.email,
        "is_active": user.is_active,
        "is_superuser": user.is_superuser,
        "is_verified": is_verified,
        "full_name": user.full_name or None,
        "monthly_income": number(user.monthly_income),
        "savings_goal_amount": number(user.monthly_savings_goal),
        "savings_goal_deadline": None,
    }


def category_read(category: Category) -> dict[str, Any]:
    share = number(category.income_percentage)
    return {
        "id": str(category.pk),
        "user_id": str(category.user_id),
        "name": category.name,
        "description": None,
        "default_percentage": share,
        "custom_percentage": share,
        "is_default": False,
        "is_fixed": category.is_fixed,
        "color": category.color,
    }


def transaction_read(tx: Transaction) -> dict[str, Any]:
    return {
        "id": str(tx.pk),
        "user_id": str(tx.user_id),
        "description": tx.description,
        "amount": number(tx.amount),
        "category_id": str(tx.category_id) if tx.category_id else None,
        "transaction_date": f"{tx.date.isoformat()}T00:00:00",
    }
