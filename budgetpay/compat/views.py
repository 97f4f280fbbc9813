"""The person, their categories, their expenses and the assistant, in the original's shapes.

Each view parses with `shapes`, calls one service or selector of the apps, and renders with
`shapes`. Another person's row, or a row the client does not see (income, a transfer, an
amount in another currency, an income category), is a 404 as if it did not exist; a
category of someone else's named in a body is a 400.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from budgetpay import llm
from budgetpay.ai_limit import UserRateThrottleForAI
from budgetpay.compat import selectors
from budgetpay.compat.api import CompatView
from budgetpay.compat.errors import bad_request, not_found
from budgetpay.compat.shapes import (
    AskShape,
    CategoryShape,
    ProfileShape,
    TransactionShape,
    category_read,
    object_id,
    parsed,
    transaction_read,
    user_read,
)
from chatbot.chat import chat_send
from transactions import selectors as ledger_selectors
from transactions import services as ledger
from transactions.models import Category, Transaction
from users import services as users
from users.models import User

MAX_ROWS = selectors.MAX_ROWS


class MeView(CompatView):
    """GET and PATCH users/me. DELETE is not offered: deleting an account takes its password."""

    def get(self, request: Request) -> Response:
        return Response(user_read(request.user, is_verified=selectors.is_verified(user=request.user)))

    def patch(self, request: Request) -> Response:
        data = parsed(ProfileShape, request.data, user=request.user, partial=True).validated_data
        if not data:
            raise bad_request("No fields provided for update")
        changes: dict[str, Any] = {}
        if "full_name" in data:
            changes["full_name"] = data["full_name"] or ""
        if "monthly_income" in data:
            changes["monthly_income"] = data["monthly_income"]
        if "savings_goal_amount" in data:
            changes["monthly_savings_goal"] = data["savings_goal_amount"]
        user = users.user_update(user=request.user, **changes)
        return Response(user_read(user, is_verified=selectors.is_verified(user=user)))


class DeactivateView(CompatView):
    """POST users/deactivate."""

    def post(self, request: Request) -> Response:
        users.user_deactivate(user=request.user)
        return Response({"message": "Account deactivated successfully", "user_id": str(request.user.pk)})


class RowView(CompatView):
    """GET, PATCH and DELETE of one of the person's rows the client sees, at its id; any other
    id is a 404 naming the row's model. A PATCH whose body changes nothing saves nothing."""

    rows: Callable[..., QuerySet]  # the selector of the rows the client sees, given the user
    read: Callable[[Any], dict[str, Any]]  # a row in the original's shape

    def changes(self, request: Request) -> dict[str, Any]:
        """The body's changes, as the row's update service takes them."""
        raise NotImplementedError

    def update(self, row: Any, changes: dict[str, Any]) -> Any:
        raise NotImplementedError

    def remove(self, row: Any) -> None:
        raise NotImplementedError

    def row(self, request: Request, pk: str) -> Any:
        rows = self.rows(user=request.user)
        found = rows.filter(pk=object_id(pk)).first() if object_id(pk) is not None else None
        if found is None:
            raise not_found(rows.model.__name__)
        return found

    def get(self, request: Request, pk: str) -> Response:
        return Response(self.read(self.row(request, pk)))

    def patch(self, request: Request, pk: str) -> Response:
        row = self.row(request, pk)
        changes = self.changes(request)
        if changes:
            row = self.update(row, changes)
        return Response(self.read(row))

    def delete(self, request: Request, pk: str) -> Response:
        self.remove(self.row(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CategoryListView(CompatView):
    def get(self, request: Request) -> Response:
        return Response([category_read(c) for c in selectors.categories(user=request.user)[:MAX_ROWS]])

    def post(self, request: Request) -> Response:
        shape = parsed(CategoryShape, request.data, user=request.user)
        category = ledger.category_create(user=request.user, kind=Category.Kind.EXPENSE, **shape.to_service())
        return Response(category_read(category), status=status.HTTP_201_CREATED)


class CategoryDetailView(RowView):
    rows = staticmethod(selectors.categories)
    read = staticmethod(category_read)

    def changes(self, request: Request) -> dict[str, Any]:
        return parsed(CategoryShape, request.data, user=request.user, partial=True).to_service()

    def update(self, row: Category, changes: dict[str, Any]) -> Category:
        return ledger.category_update(category=row, **changes)

    def remove(self, row: Category) -> None:
        ledger.category_delete(category=row)


def _transaction_fields(user: User, data: dict[str, Any]) -> dict[str, Any]:
    """The client's fields as transactions.services takes them."""
    fields: dict[str, Any] = {name: data[name] for name in ("description", "amount") if name in data}
    if "transaction_date" in data:
        fields["date"] = data["transaction_date"]
    if "category_id" in data:
        category = None
        if data["category_id"] is not None:
            category = selectors.categories(user=user).filter(pk=data["category_id"]).first()
            if category is None:
                raise bad_request("category_id: choose one of your own categories.")
        fields["category"] = category
    return fields


class TransactionListView(CompatView):
    def get(self, request: Request) -> Response:
        return Response([transaction_read(tx) for tx in selectors.expenses(user=request.user)[:MAX_ROWS]])

    def post(self, request: Request) -> Response:
        data = parsed(TransactionShape, request.data, user=request.user).validated_data
        fields = _transaction_fields(request.user, data)
        account = ledger_selectors.account_main(user=request.user)
        if account is None:
            raise bad_request(
                f"You have no open account in {request.user.currency} to record this in; open one in Budget Pay first."
            )
        tx = ledger.transaction_create(user=request.user, account=account, kind=Transaction.Kind.EXPENSE, **fields)
        return Response(transaction_read(tx), status=status.HTTP_201_CREATED)


class TransactionDetailView(RowView):
    rows = staticmethod(selectors.expenses)
    read = staticmethod(transaction_read)

    def changes(self, request: Request) -> dict[str, Any]:
        data = parsed(TransactionShape, request.data, user=request.user, partial=True).validated_data
        return _transaction_fields(request.user, data)

    def update(self, row: Transaction, changes: dict[str, Any]) -> Transaction:
        return ledger.transaction_update(transaction=row, **changes)

    def remove(self, row: Transaction) -> None:
        ledger.transaction_delete(transaction=row)


class AskView(CompatView):
    """POST chatbot/ask {query} -> {response}: one turn with our assistant (its rules when no
    OpenRouter key is set), stored as a conversation of its own like a message sent to
    chatbot/messages without one; counted in the same per-minute and daily AI limits."""

    throttle_classes = [UserRateThrottleForAI]

    def post(self, request: Request) -> Response:
        query = parsed(AskShape, request.data).validated_data["query"]
        try:
            result = chat_send(user=request.user, conversation=None, content=query)
        except llm.DailyLimitReached as exc:
            raise exceptions.Throttled(wait=exc.retry_after, detail=str(exc)) from exc
        return Response({"response": result.reply.content})
