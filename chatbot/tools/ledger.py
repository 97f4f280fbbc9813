"""The assistant's tools over the ledger: spending by category, finding transactions, and
proposing a change to one (which the person confirms in the app; nothing is written here).
Every query starts from the turn's user's rows; sums come from transactions.reports."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from chatbot import services
from chatbot.models import ProposedAction
from chatbot.tools.arguments import (
    default_account,
    find_account,
    find_category,
    parse_amount,
    parse_day,
    resolve_period,
)
from chatbot.tools.base import DATA_NOTE, ToolError, Turn, clip, money_text
from transactions.models import Category, Transaction
from transactions.reports import other_currency_totals, spending_by_category
from transactions.selectors import transaction_list, transaction_search

SEARCH_LIMIT = 20
CANDIDATE_LIMIT = 10
MAX_PROPOSALS_PER_TURN = 3


def _row(tx: Transaction) -> dict[str, Any]:
    return {
        "id": tx.pk,
        "date": tx.date.isoformat(),
        "kind": tx.kind,
        "amount": money_text(tx.amount),
        "currency": tx.account.currency,
        "description": clip(tx.description),
        "payee": clip(tx.payee),
        "category": tx.category.name if tx.category else None,
        "account": tx.account.name,
    }


def spending_summary(
    turn: Turn,
    *,
    period: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    """Spending (expenses) over a period, by category, in the user's currency; other currencies beside it."""
    user = turn.user
    span = resolve_period(today=turn.today, period=period, date_from=date_from, date_to=date_to)
    only = find_category(user, category, Category.Kind.EXPENSE) if category else None
    lines = spending_by_category(user=user, period=span, category=only)
    others = other_currency_totals(user=user, period=span, category=only)
    return {
        "period": {"start": span.start.isoformat(), "end": span.end.isoformat()},
        "currency": user.currency,
        "category": category,
        "total_spent": money_text(sum((line.spending for line in lines), Decimal("0.00"))),
        "transactions": sum(line.count for line in lines),
        "by_category": [
            {"category": line.name, "spent": money_text(line.spending), "transactions": line.count} for line in lines
        ],
        "other_currencies": [
            {"currency": other.currency, "spent": money_text(other.totals.spending)}
            for other in others
            if other.totals.spending  # a currency with income only spent nothing
        ],
    }


def search_transactions(
    turn: Turn,
    *,
    text: str | None = None,
    period: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    amount_min: Any = None,
    amount_max: Any = None,
    kind: str | None = None,
    category: str | None = None,
    order: str = "newest",
    limit: int = 10,
) -> dict[str, Any]:
    """The user's transactions matching every filter given, newest or largest first, at most SEARCH_LIMIT."""
    queryset = transaction_search(user=turn.user, query=text or "")
    span = resolve_period(today=turn.today, period=period, date_from=date_from, date_to=date_to, default=None)
    if span is not None:
        queryset = queryset.filter(date__range=(span.start, span.end))
    if amount_min is not None:
        queryset = queryset.filter(amount__gte=parse_amount(amount_min, "amount_min"))
    if amount_max is not None:
        queryset = queryset.filter(amount__lte=parse_amount(amount_max, "amount_max"))
    if kind:
        queryset = queryset.filter(kind=kind)
    if category:
        matching = Category.objects.filter(user=turn.user, name__iexact=category.strip())
        if not matching.exists():
            raise ToolError(f"There is no category named {category[:60]!r}.")
        queryset = queryset.filter(category__in=matching)
    ordering = ("-amount", "-date", "-id") if order == "largest" else ("-date", "-id")
    page = min(limit, SEARCH_LIMIT)
    found = list(queryset.order_by(*ordering)[:page])
    return {
        "matches": queryset.count() if len(found) == page else len(found),
        "shown": len(found),
        "transactions": [_row(tx) for tx in found],
        "note": DATA_NOTE,
    }


def propose_transaction_change(
    turn: Turn,
    *,
    operation: str,
    transaction_id: int | None = None,
    match: str | None = None,
    amount: Any = None,
    date: str | None = None,
    description: str | None = None,
    category: str | None = None,
    account: str | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """Propose adding, editing or deleting one transaction; the user confirms it in the app.
    A reference that fits several transactions returns them as candidates and proposes nothing."""
    if len(turn.proposed) >= MAX_PROPOSALS_PER_TURN:
        raise ToolError(
            f"At most {MAX_PROPOSALS_PER_TURN} changes can be proposed at once; let the user confirm these first."
        )
    user = turn.user
    if operation == ProposedAction.Operation.CREATE:
        if transaction_id is not None or match:
            raise ToolError("To add a transaction leave out transaction_id and match; they name one to edit or delete.")
        if amount is None:
            raise ToolError("amount is required to add a transaction.")
        kind = kind or Transaction.Kind.EXPENSE
        fields = {
            "account": find_account(user, account) if account else default_account(user),
            "kind": kind,
            "amount": parse_amount(amount, "amount"),
            "date": parse_day(date, turn.today) if date else turn.today,
            "category": find_category(user, category, kind) if category else None,
            "description": (description or "").strip(),
        }
    else:
        if account or kind:
            raise ToolError(
                "An edit cannot move a transaction to another account or change its kind; delete it and add a new one."
            )
        target = _target(turn, transaction_id=transaction_id, match=match)
        if isinstance(target, dict):
            return target
        fields = {"transaction": target}
        if operation == ProposedAction.Operation.EDIT:
            if category and target.kind == Transaction.Kind.TRANSFER:
                raise ToolError("Transfers have no category.")
            fields.update(
                amount=None if amount is None else parse_amount(amount, "amount"),
                date=parse_day(date, turn.today) if date else None,
                description=None if description is None else description.strip(),
                category=find_category(user, category, target.kind) if category else None,
            )
        elif any(value is not None for value in (amount, date, description, category)):
            raise ToolError("A delete takes only transaction_id or match.")
    try:
        action = services.action_propose(user=user, conversation=turn.conversation, operation=operation, **fields)
    except ValidationError as exc:
        raise ToolError(" ".join(exc.messages)) from exc
    turn.proposed.append(action)
    return {
        "status": "proposed",
        "action_id": action.pk,
        "summary": action.summary,
        "note": "Nothing has changed yet: the user must confirm this change in the app, or cancel it. Tell them so.",
    }


def _target(turn: Turn, *, transaction_id: int | None, match: str | None) -> Transaction | dict[str, Any]:
    """The one transaction meant, or a result asking the user to choose (several) or saying none matched."""
    queryset = transaction_list(user=turn.user)
    if transaction_id is not None:
        found = queryset.filter(pk=transaction_id).first()
        if found is None:
            raise ToolError(f"There is no transaction #{transaction_id}; search for it first.")
        return found
    if not match or not match.strip():
        raise ToolError("Give transaction_id, or match with words from the transaction's description or payee.")
    matching = transaction_search(user=turn.user, query=match, transactions=queryset).order_by("-date", "-id")
    candidates = list(matching[: CANDIDATE_LIMIT + 1])
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return {"status": "not_found", "message": f"No transaction matches {match[:60]!r}. Nothing was proposed."}
    return {
        "status": "ambiguous",
        "message": (
            f"Several transactions match {match[:60]!r}. Nothing was proposed: ask the user which one they mean, "
            "then call again with its transaction_id. Do not guess."
        ),
        "matches": matching.count() if len(candidates) > CANDIDATE_LIMIT else len(candidates),
        "candidates": [_row(tx) for tx in candidates[:CANDIDATE_LIMIT]],
        "note": DATA_NOTE,
    }
