"""Reading what the model sends a tool: its JSON arguments checked against the tool's
schema, and the dates, periods, amounts, categories and accounts they name. Anything
wrong raises ToolError with a message for the model (or a person)."""

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from budgetpay.periods import Period, period_containing, previous_period
from budgetpay.validators import validate_user_date
from chatbot.tools.base import ToolError
from transactions.models import Account, Category
from transactions.parsing import AmountError, parse_decimal
from transactions.selectors import account_main

if TYPE_CHECKING:
    from chatbot.tools import Tool

PERIODS = ("today", "yesterday", "this_week", "last_week", "this_month", "last_month", "this_year", "last_year")
MAX_RANGE_DAYS = 10 * 366
MAX_ARGUMENT_CHARS = 4000


def parse_day(text: str, today: date) -> date:
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    try:
        day = date.fromisoformat(word)
    except ValueError as exc:
        raise ToolError(f"{text[:40]!r} is not a date: use YYYY-MM-DD, 'today' or 'yesterday'.") from exc
    try:
        validate_user_date(day)
    except ValidationError as exc:
        raise ToolError(f"{text[:40]!r}: {' '.join(exc.messages)}") from exc
    return day


def resolve_period(
    *,
    today: date,
    period: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    default: str | None = "this_month",
) -> Period | None:
    """A named period (in the user's today) or a date range; `default` when neither is given."""
    if period and (date_from or date_to):
        raise ToolError("Give either period or date_from/date_to, not both.")
    if date_from or date_to:
        if not date_from:
            raise ToolError("date_to needs a date_from.")
        start = parse_day(date_from, today)
        end = parse_day(date_to, today) if date_to else today
        if end < start:
            raise ToolError("date_to is before date_from.")
        if (end - start).days > MAX_RANGE_DAYS:
            raise ToolError("Ask about at most ten years at a time.")
        return Period(start, end)
    name = period or default
    if name is None:
        return None
    if name == "today":
        return Period(today, today)
    if name == "yesterday":
        return Period(today - timedelta(days=1), today - timedelta(days=1))
    relative, kind = name.split("_")
    current = period_containing(kind, today)
    return current if relative == "this" else previous_period(kind, current)


def parse_amount(value: Any, name: str) -> Decimal:
    try:
        amount = parse_decimal(str(value))
    except AmountError as exc:
        raise ToolError(f"{name}: {exc}") from exc
    if amount <= 0:
        raise ToolError(f"{name}: use an amount above zero.")
    return amount


def find_category(user, name: str, kind: str) -> Category:
    found = Category.objects.filter(user=user, kind=kind, name__iexact=name.strip()).first()
    if found is None:
        names = ", ".join(Category.objects.filter(user=user, kind=kind).values_list("name", flat=True))
        raise ToolError(
            f"There is no {kind} category named {name[:60]!r}. The {kind} categories are: {names or 'none'}."
        )
    return found


def default_account(user) -> Account:
    """The user's only (or first) open account in their currency, else their first open account."""
    account = account_main(user=user) or Account.objects.filter(user=user, is_archived=False).order_by("id").first()
    if account is None:
        raise ToolError("There is no open account to record this in; the user must create one first.")
    return account


def find_account(user, name: str) -> Account:
    found = Account.objects.filter(user=user, is_archived=False, name__iexact=name.strip()).first()
    if found is None:
        names = ", ".join(Account.objects.filter(user=user, is_archived=False).values_list("name", flat=True))
        raise ToolError(f"There is no open account named {name[:60]!r}. The open accounts are: {names or 'none'}.")
    return found


_JSON_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, Decimal)}


def _argument_problem(value: Any, schema: dict[str, Any]) -> str | None:
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if isinstance(value, bool) or not any(isinstance(value, _JSON_TYPES[name]) for name in types):
        return f"expected {' or '.join(types)}, got {json.dumps(value, default=str)[:40]}"
    if "enum" in schema and value not in schema["enum"]:
        return f"must be one of {', '.join(schema['enum'])}"
    if isinstance(value, str) and len(value) > schema.get("maxLength", MAX_ARGUMENT_CHARS):
        return f"at most {schema.get('maxLength', MAX_ARGUMENT_CHARS)} characters"
    if isinstance(value, int) and value < schema.get("minimum", value):
        return f"must be at least {schema['minimum']}"
    if isinstance(value, int) and value > schema.get("maximum", value):
        return f"must be at most {schema['maximum']}"
    return None


def parse_arguments(tool: "Tool", arguments: str) -> dict[str, Any]:
    """The model's JSON arguments checked against the tool's schema; ToolError says what is wrong.
    Null values count as left out."""
    if len(arguments) > MAX_ARGUMENT_CHARS:
        raise ToolError(f"The arguments are longer than {MAX_ARGUMENT_CHARS} characters.")
    try:
        parsed = json.loads(arguments or "{}", parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise ToolError("The arguments are not valid JSON; send a JSON object.") from exc
    if not isinstance(parsed, dict):
        raise ToolError("The arguments must be a JSON object.")
    parsed = {name: value for name, value in parsed.items() if value is not None}
    unknown = sorted(set(parsed) - set(tool.parameters))
    if unknown:
        allowed = ", ".join(tool.parameters) or "none"
        raise ToolError(f"Unknown argument(s) {', '.join(unknown)[:200]}; {tool.name} takes: {allowed}.")
    for name in tool.required:
        if name not in parsed:
            raise ToolError(f"{name} is required.")
    for name, value in parsed.items():
        problem = _argument_problem(value, tool.parameters[name])
        if problem:
            raise ToolError(f"{name}: {problem}.")
    return parsed


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")
