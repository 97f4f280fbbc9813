"""What the original client sees of a person's ledger.

That client knows one currency and one kind of row: money spent. Its lists hold the
person's expense categories and their expenses in their own currency (on any of their
accounts in it), never income or transfers, which it would add to the spending it sums,
nor amounts in another currency, which it would add as if they were the same money.
"""

from allauth.account.models import EmailAddress
from django.db.models import QuerySet

from transactions import selectors as ledger
from transactions.models import Category, Transaction
from users.models import User

# The original answered its whole table; these lists are bounded, newest first.
MAX_ROWS = 500


def categories(*, user: User) -> QuerySet[Category]:
    """The person's expense categories in the order they were made (the starter ones first)."""
    return ledger.category_list(user=user).filter(kind=Category.Kind.EXPENSE).order_by("id")


def expenses(*, user: User) -> QuerySet[Transaction]:
    """The person's expenses in their own currency, newest first."""
    return (
        ledger.transaction_list(user=user)
        .filter(kind=Transaction.Kind.EXPENSE, account__currency=user.currency)
        .order_by("-date", "-id")
    )


def is_verified(*, user: User) -> bool:
    """Whether the person's sign-in address is verified (allauth's EmailAddress)."""
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
