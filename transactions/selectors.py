"""Reads on accounts, categories and transactions, always for one user."""

from decimal import Decimal

from django.db.models import Case, DecimalField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Round

from transactions.models import Account, Category, Transaction

BALANCE_FIELD = DecimalField(max_digits=20, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=BALANCE_FIELD)


def _total(transactions: QuerySet[Transaction], group_by: str, amount) -> Coalesce:
    """A correlated subquery summing `amount` over `transactions`; 0 when there are none."""
    total = transactions.order_by().values(group_by).annotate(total=Sum(amount, output_field=BALANCE_FIELD))
    return Coalesce(Subquery(total.values("total")[:1], output_field=BALANCE_FIELD), ZERO, output_field=BALANCE_FIELD)


def account_list(*, user) -> QuerySet[Account]:
    """The user's accounts, each with `balance`: opening balance + income - expenses
    - transfers out + transfers in, summed in the database (two subqueries, no N+1)."""
    signed_amount = Case(
        When(kind=Transaction.Kind.INCOME, then=F("amount")),
        default=-F("amount"),
        output_field=BALANCE_FIELD,
    )
    own = _total(Transaction.objects.filter(account=OuterRef("pk")), "account", signed_amount)
    incoming = _total(
        Transaction.objects.filter(transfer_account=OuterRef("pk"), kind=Transaction.Kind.TRANSFER),
        "transfer_account",
        F("amount"),
    )
    # Round to cents: SQLite sums decimals as floats; on PostgreSQL this changes nothing.
    balance = Round(
        ExpressionWrapper(F("opening_balance") + own + incoming, output_field=BALANCE_FIELD),
        2,
        output_field=BALANCE_FIELD,
    )
    return Account.objects.filter(user=user).annotate(balance=balance)


def account_main(*, user) -> Account | None:
    """The person's main account: their first open account in their own currency (the "Main
    account" everyone starts with, unless they archived it); None when there is none."""
    return Account.objects.filter(user=user, is_archived=False, currency=user.currency).order_by("id").first()


def category_list(*, user) -> QuerySet[Category]:
    return Category.objects.filter(user=user)


def transaction_list(*, user) -> QuerySet[Transaction]:
    """The user's transactions, newest first, with their accounts and category joined."""
    return Transaction.objects.filter(user=user).select_related("account", "category", "transfer_account")


def transaction_search(*, user, query: str, transactions: QuerySet[Transaction] | None = None) -> QuerySet[Transaction]:
    """The user's transactions whose description, payee or notes contain every word of
    `query` (case-insensitive; words in any order, each in any of the three). A blank
    query matches every transaction. The one meaning of search: the API's `?search=`, the
    transactions page and the assistant's tools all use it.

    `transactions` narrows the search to rows already chosen (a filtered list); it
    defaults to `transaction_list(user=user)`.
    """
    found = transaction_list(user=user) if transactions is None else transactions.filter(user=user)
    for word in query.split():
        found = found.filter(Q(description__icontains=word) | Q(payee__icontains=word) | Q(notes__icontains=word))
    return found
