"""Answers without the language model, for when AI is off or the provider fails.

The common questions (spending in a category or period, budget left, goal progress,
biggest expenses) and simple commands ("add 12.50 for lunch today", "delete the
coffee") are recognised with patterns and answered with the same tools the model
uses, so the figures are the same. Every answer starts by saying that AI is off.
"""

import re
from decimal import Decimal
from typing import Any

from budgetpay.formatting import format_money
from chatbot.models import ProposedAction
from chatbot.tools import (
    ToolError,
    Turn,
    budget_status,
    goal_status,
    propose_transaction_change,
    search_transactions,
    spending_summary,
)
from transactions.models import Category, Transaction

NO_KEY = "no_key"
PROVIDER_ERROR = "provider_error"
AI_OFF = {
    NO_KEY: "AI is off (no AI provider is configured), so this answer comes from simple rules over your data.",
    PROVIDER_ERROR: (
        "AI is off right now (the AI service did not answer), so this answer comes from simple rules over your data."
    ),
}
HELP = (
    'I can tell you how much you spent ("how much did I spend on groceries last month?"), how much of your '
    "budgets is left, how your saving goals are doing and what your biggest expenses were. I can also prepare "
    'changes for you to confirm, such as "add 12.50 for lunch today" or "delete transaction 42".'
)
BIGGEST_COUNT = 5
# The rules read short questions and commands; a longer message is not one of them, and
# no pattern below ever looks at more than this.
MAX_RULES_CHARS = 500
TOO_LONG = (
    f"That message is longer than the {MAX_RULES_CHARS} characters these simple rules read, so I did not "
    "try to understand it. Ask in a shorter message."
)

# The patterns see the person's message after _collapsed(): at most MAX_RULES_CHARS, and
# every run of whitespace one plain space. Each has at most one way to match at a given
# start (no two neighbouring parts can take the same characters), so a message costs one
# pass; budgetpay/tests/test_patterns.py feeds each its worst input at 1x and 8x that size.
# Digits are ASCII only: Python's \d takes "５" too.
_ADD = re.compile(
    r"^(?:please )?(?P<verb>add|spent|record|log|paid|received|earned) (?:an? (?:expense|income) of )?"
    r"[$€£]? ?(?P<amount>\d{1,12}(?:[.,]\d{1,2})?)(?![\d.,]) ?(?P<rest>.*)$",
    re.IGNORECASE | re.ASCII,
)
# The start of a delete command; the rest is read by _delete_target with string operations.
_DELETE = re.compile(r"^(?:please )?(?:delete|remove) (?:(?:the|my|that) )?", re.IGNORECASE)
_DELETE_BY_ID = re.compile(
    r"^(?:transaction|expense|entry) ?(?:#|id ?|number ?)?(?P<id>\d{1,18})$", re.IGNORECASE | re.ASCII
)
_DAY_WORD = re.compile(r"\b(?:on )?(today|yesterday|[0-9]{4}-[0-9]{2}-[0-9]{2})\b", re.IGNORECASE)
_LEADING_PREPOSITION = re.compile(r"^(?:for|on|at) ", re.IGNORECASE)
_RANGE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}) ?(?:to|until|till|and|-|–) ?([0-9]{4}-[0-9]{2}-[0-9]{2})")
_PERIOD = re.compile(r"\b(?:(this|last|previous|past) (week|month|year)|(today|yesterday))\b")
_BUDGET = re.compile(r"\bbudget")
_GOAL = re.compile(r"\b(?:goals?|sav(?:e|ed|ing|ings))\b")
_BIGGEST = re.compile(r"\b(?:biggest|largest|top|most expensive)\b")
_SPENDING = re.compile(r"\b(?:spen[dt]|spending|cost|expenses?)\b")
CATEGORY_WORDS = ("in", "under", "category")
# A category named after one of these words must run to the end of the command.
_NAME_STOPS = frozenset(",.;!?")


def rules_answer(turn: Turn, text: str, *, reason: str) -> str:
    """The rule-based answer to `text`, introduced by the plain statement that AI is off."""
    return f"{AI_OFF[reason]}\n\n{_answer(turn, text)}"


def _collapsed(text: str) -> str:
    """The text with every run of whitespace made one space, and none at the ends."""
    return " ".join(text.split())


def _answer(turn: Turn, text: str) -> str:
    if turn.proposed:
        # The model proposed changes before the provider failed; present those, propose nothing twice.
        return _proposed(turn.proposed)
    if len(text.strip()) > MAX_RULES_CHARS:
        return TOO_LONG
    text = _collapsed(text)
    try:
        if match := _ADD.match(text):
            return _add(turn, match)
        if match := _DELETE.match(text):
            return _delete(turn, _delete_target(text[match.end() :]))
        lowered = text.lower()
        if _BUDGET.search(lowered):
            return _budgets(turn, budget_status(turn))
        if _GOAL.search(lowered):
            return _goals(turn, goal_status(turn))
        period = _period(lowered)
        if _BIGGEST.search(lowered):
            return _biggest(turn, period)
        if _SPENDING.search(lowered):
            return _spending(turn, period, _category_in(turn, lowered))
    except ToolError as exc:
        return str(exc)
    return HELP


def _proposed(actions: list[ProposedAction]) -> str:
    lines = "\n".join(f"- {action.summary}" for action in actions)
    return f"I prepared this for you to confirm:\n{lines}\nNothing changes until you confirm it."


def _add(turn: Turn, match: re.Match) -> str:
    kind = Transaction.Kind.INCOME if match["verb"].lower() in ("received", "earned") else Transaction.Kind.EXPENSE
    rest = match["rest"].strip()
    currency = turn.user.currency.lower()
    if rest.lower() == currency or rest.lower().startswith(currency + " "):
        rest = rest[len(currency) :].strip()
    day = None
    if found := _DAY_WORD.search(rest):
        day = found[1]
        rest = _collapsed(rest[: found.start()] + rest[found.end() :])
    rest = rest.rstrip(" .!?")
    category = None
    if found := _named_category(rest):
        before, name = found
        if Category.objects.filter(user=turn.user, kind=kind, name__iexact=name).exists():
            category, rest = name, before
    description = _LEADING_PREPOSITION.sub("", rest)[:255]
    category = category or _category_in(turn, description.lower(), kind)
    propose_transaction_change(
        turn,
        operation="create",
        amount=match["amount"].replace(",", "."),
        kind=kind,
        date=day,
        description=description,
        category=category,
    )
    return _proposed(turn.proposed)


def _named_category(rest: str) -> tuple[str, str] | None:
    """("lunch", "food") from "lunch in food": the text before the first of "in", "under" or
    "category" after which the words run to the end without ",.;!?", and the words after it."""
    words = rest.split()
    last_stop = max((i for i, word in enumerate(words) if not _NAME_STOPS.isdisjoint(word)), default=-1)
    for i in range(max(1, last_stop + 1), len(words) - 1):
        if words[i].lower() in CATEGORY_WORDS:
            return " ".join(words[:i]), " ".join(words[i + 1 :])
    return None


def _delete_target(target: str) -> dict[str, str | None]:
    """{"id": "42"} from "transaction 42." or {"what": "the coffee"}: the words after the
    verb, without the closing punctuation."""
    what = target.rstrip(" .!?") or target[:1]
    if found := _DELETE_BY_ID.match(what):
        return {"id": found["id"], "what": None}
    return {"id": None, "what": what}


def _delete(turn: Turn, target: dict[str, str | None]) -> str:
    if target["id"]:
        result = propose_transaction_change(turn, operation="delete", transaction_id=int(target["id"]))
    else:
        result = propose_transaction_change(turn, operation="delete", match=target["what"][:200])
    if result["status"] == "proposed":
        return _proposed(turn.proposed)
    if result["status"] == "not_found":
        return f"I found no transaction matching {target['what'][:60]!r}, so nothing was prepared."
    choices = "\n".join(f"- transaction {row['id']}: {_row(turn, row)}" for row in result["candidates"])
    return (
        f"Several transactions match {target['what'][:60]!r}, so I did not pick one:\n{choices}\n"
        'Which one do you mean? Say, for example, "delete transaction '
        f'{result["candidates"][0]["id"]}".'
    )


def _period(lowered: str) -> dict[str, str]:
    if found := _RANGE.search(lowered):
        return {"date_from": found[1], "date_to": found[2]}
    if found := _PERIOD.search(lowered):
        if found[3]:
            return {"period": found[3]}
        relative = "this" if found[1] == "this" else "last"
        return {"period": f"{relative}_{found[2]}"}
    return {}


def _category_in(turn: Turn, lowered: str, kind: str = Category.Kind.EXPENSE) -> str | None:
    """The longest of the user's category names that appears as words in the text."""
    names = Category.objects.filter(user=turn.user, kind=kind).values_list("name", flat=True)
    for name in sorted(names, key=len, reverse=True):
        if _contains_words(lowered, name.lower()):
            return name
    return None


def _contains_words(text: str, words: str) -> bool:
    """Whether `words` occurs in `text` with no letter, digit or "_" right before or after it."""
    start = text.find(words)
    while start >= 0 and words:
        end = start + len(words)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not _word_char(before) and not _word_char(after):
            return True
        start = text.find(words, start + 1)
    return False


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _money(turn: Turn, amount: str, currency: str) -> str:
    """A tool's plain amount ("52.50", what the model reads) as the person reads it."""
    return format_money(Decimal(amount), currency, turn.user.locale)


def _span(result: dict[str, Any]) -> str:
    period = result["period"]
    return f"from {period['start']} to {period['end']}"


def _spending(turn: Turn, period: dict[str, str], category: str | None) -> str:
    result = spending_summary(turn, category=category, **period)
    currency = result["currency"]
    count = result["transactions"]
    where = f" on {category}" if category else ""
    answer = (
        f"You spent {_money(turn, result['total_spent'], currency)}{where} {_span(result)}, "
        f"in {count} transaction{'' if count == 1 else 's'}."
    )
    if not category and result["by_category"]:
        lines = ", ".join(
            f"{line['category']} {_money(turn, line['spent'], currency)}" for line in result["by_category"]
        )
        answer += f" By category: {lines}."
    for other in result["other_currencies"]:
        answer += f" Also {_money(turn, other['spent'], other['currency'])} from accounts in {other['currency']}."
    return answer


def _biggest(turn: Turn, period: dict[str, str]) -> str:
    period = period or {"period": "this_month"}
    result = search_transactions(turn, kind=Transaction.Kind.EXPENSE, order="largest", limit=BIGGEST_COUNT, **period)
    if not result["transactions"]:
        return "You have no expenses in that period."
    lines = "\n".join(f"- {_row(turn, row)}" for row in result["transactions"])
    return f"Your biggest expenses:\n{lines}"


def _row(turn: Turn, row: dict[str, Any]) -> str:
    label = row["description"] or row["payee"] or row["category"] or "no description"
    return f"{row['date']}, {_money(turn, row['amount'], row['currency'])}, {label}"


def _budgets(turn: Turn, result: dict[str, Any]) -> str:
    if not result["budgets"]:
        return "You have no budgets yet."
    lines = []
    currency = result["currency"]
    for budget in result["budgets"]:
        used = f" ({budget['percent_used']} % used)" if budget["percent_used"] is not None else ""
        lines.append(
            f"- {budget['name']} ({budget['period']}): {_money(turn, budget['remaining'], currency)} left of "
            f"{_money(turn, budget['available'], currency)}{used}, {budget['days_left']} days to go."
        )
    return "Your budgets:\n" + "\n".join(lines)


def _goals(turn: Turn, result: dict[str, Any]) -> str:
    if not result["goals"]:
        return "You have no saving goals yet."
    lines = []
    currency = result["currency"]
    for goal in result["goals"]:
        line = (
            f"- {goal['name']}: {_money(turn, goal['saved'], currency)} of {_money(turn, goal['target'], currency)} "
            f"saved ({goal['percent']} %), {_money(turn, goal['remaining'], currency)} to go, "
            f"{goal['status'].replace('_', ' ')}."
        )
        if goal["required_per_month"] is not None and goal["status"] != "achieved":
            line += f" That needs {_money(turn, goal['required_per_month'], currency)} a month."
        lines.append(line)
    return "Your saving goals:\n" + "\n".join(lines)
