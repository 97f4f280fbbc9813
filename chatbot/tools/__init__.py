"""The tools the assistant may call: their registry (name, description, JSON schema of the
arguments) and the one door that runs a call from the model.

Every tool runs for the user bound on the server (`Turn.user`); no tool takes a user
id, and every query starts from that user's rows. Numbers are summed by the database,
through the same selectors and reports the API and the pages use.
Arguments arrive as JSON text from the model: anything wrong with them (invalid JSON,
an unknown tool or argument, a wrong type, a bad date) becomes a result saying what
was wrong, which goes back to the model, never an exception.

The rule-based fallback (chatbot.rules) calls the same tool functions directly.

The package by role: `base` (the turn, ToolError, how results are written), `arguments`
(checking and reading the model's arguments), `ledger` (spending, search, proposed
changes), `goals_budgets` (budgets, goals, the overview), and here the registry.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chatbot.models import ProposedAction
from chatbot.tools.arguments import MAX_ARGUMENT_CHARS, PERIODS, parse_arguments
from chatbot.tools.base import ToolError, Turn
from chatbot.tools.goals_budgets import budget_status, financial_overview, goal_status
from chatbot.tools.ledger import (
    MAX_PROPOSALS_PER_TURN,
    SEARCH_LIMIT,
    propose_transaction_change,
    search_transactions,
    spending_summary,
)
from transactions.models import Transaction

__all__ = [
    "MAX_ARGUMENT_CHARS",
    "MAX_PROPOSALS_PER_TURN",
    "TOOLS",
    "TOOL_SPECS",
    "Tool",
    "ToolError",
    "Turn",
    "budget_status",
    "financial_overview",
    "goal_status",
    "propose_transaction_change",
    "run_tool",
    "search_transactions",
    "spending_summary",
]

_PERIOD_ARGUMENTS = {
    "period": {"type": "string", "enum": list(PERIODS), "description": "A period relative to today."},
    "date_from": {"type": "string", "maxLength": 10, "description": "YYYY-MM-DD; instead of period."},
    "date_to": {"type": "string", "maxLength": 10, "description": "YYYY-MM-DD, inclusive; defaults to today."},
}
_AMOUNT = {"type": ["number", "string"], "description": "A plain decimal such as 12.50."}
_NAME = {"type": "string", "maxLength": 100}


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, dict]
    run: Callable[..., dict[str, Any]]
    required: tuple[str, ...] = ()

    @property
    def spec(self) -> dict[str, Any]:
        """The tool as the chat-completions API describes functions."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": {
                    "type": "object",
                    "properties": self.parameters,
                    "required": list(self.required),
                    "additionalProperties": False,
                },
            },
        }


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool(
            "spending_summary",
            "Total spending by category over a period (default this month), from the user's ledger.",
            {**_PERIOD_ARGUMENTS, "category": {**_NAME, "description": "Only this expense category."}},
            spending_summary,
        ),
        Tool(
            "budget_status",
            "Each budget's available, spent and remaining money in its current period.",
            {"name": {**_NAME, "description": "Only the budget with this name."}},
            budget_status,
        ),
        Tool(
            "goal_progress",
            "Each saving goal's target, saved amount, percent and what is still needed per month.",
            {"name": {**_NAME, "description": "Only the goal with this name."}},
            goal_status,
        ),
        Tool(
            "search_transactions",
            f"Find the user's transactions; every filter given must match. At most {SEARCH_LIMIT} are returned.",
            {
                "text": {
                    "type": "string",
                    "maxLength": 200,
                    "description": "Words of the description, payee or notes.",
                },
                **_PERIOD_ARGUMENTS,
                "amount_min": _AMOUNT,
                "amount_max": _AMOUNT,
                "kind": {"type": "string", "enum": list(Transaction.Kind.values)},
                "category": _NAME,
                "order": {"type": "string", "enum": ["newest", "largest"]},
                "limit": {"type": "integer", "minimum": 1, "maximum": SEARCH_LIMIT},
            },
            search_transactions,
        ),
        Tool(
            "propose_transaction_change",
            "Propose adding, editing or deleting one transaction. Nothing changes until the user confirms it in "
            "the app. For edit and delete give transaction_id, or match (words of the description); if several "
            "transactions match, the candidates come back and you must ask the user which one.",
            {
                "operation": {"type": "string", "enum": list(ProposedAction.Operation.values)},
                "transaction_id": {"type": "integer", "minimum": 1, "description": "edit/delete: the transaction."},
                "match": {"type": "string", "maxLength": 200, "description": "edit/delete: words to find it by."},
                "amount": _AMOUNT,
                "date": {"type": "string", "maxLength": 10, "description": "YYYY-MM-DD, today or yesterday (default)."},
                "description": {"type": "string", "maxLength": 255},
                "category": {**_NAME, "description": "A category name of the user's."},
                "account": {**_NAME, "description": "create: an account name; default the main account."},
                "kind": {
                    "type": "string",
                    "enum": [Transaction.Kind.EXPENSE, Transaction.Kind.INCOME],
                    "description": "create: default expense.",
                },
            },
            propose_transaction_change,
            required=("operation",),
        ),
        Tool(
            "financial_overview",
            "This month's income, spending, top categories, budgets and goals in one summary.",
            {},
            financial_overview,
        ),
    )
}
TOOL_SPECS = [tool.spec for tool in TOOLS.values()]


def run_tool(turn: Turn, *, name: str, arguments: str) -> dict[str, Any]:
    """Run one tool call from the model; problems come back as {"error": ...}."""
    tool = TOOLS.get(name)
    if tool is None:
        return {"error": f"There is no tool named {name[:60]!r}. The tools are: {', '.join(TOOLS)}."}
    try:
        return tool.run(turn, **parse_arguments(tool, arguments))
    except ToolError as exc:
        return {"error": str(exc)}
