"""Query-string filters for the account, category and transaction lists (and the export)."""

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from budgetpay.money import MoneyFormField
from budgetpay.validators import validate_user_date
from transactions.models import Account, Category, Transaction
from transactions.selectors import transaction_search


def _own_accounts(request) -> QuerySet[Account]:
    return Account.objects.filter(user=request.user) if request else Account.objects.none()


def _own_categories(request) -> QuerySet[Category]:
    return Category.objects.filter(user=request.user) if request else Category.objects.none()


class AccountFilter(filters.FilterSet):
    class Meta:
        model = Account
        fields = ("kind", "currency", "is_archived")


class CategoryFilter(filters.FilterSet):
    class Meta:
        model = Category
        fields = ("kind",)


class StableOrderingFilter(filters.OrderingFilter):
    """Ordering by date or amount, ties broken by id so pages never repeat or skip a row."""

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        if not value:
            return qs
        tiebreak = "-id" if value[0].startswith("-") else "id"
        return qs.order_by(*[self.get_ordering_value(param) for param in value], tiebreak)


class MoneyFilter(filters.NumberFilter):
    """An amount in the query string, read by the one money parser: "1e3" and "０１２" are a 400."""

    field_class = MoneyFormField


class TransactionFilter(filters.FilterSet):
    date_from = filters.DateFilter(
        field_name="date", lookup_expr="gte", validators=[validate_user_date], help_text="On or after this date."
    )
    date_to = filters.DateFilter(
        field_name="date", lookup_expr="lte", validators=[validate_user_date], help_text="On or before this date."
    )
    account = filters.ModelChoiceFilter(
        queryset=_own_accounts,
        method="filter_account",
        help_text="Transactions of this account, including transfers into it.",
    )
    category = filters.ModelChoiceFilter(queryset=_own_categories)
    uncategorized = filters.BooleanFilter(
        field_name="category", lookup_expr="isnull", help_text="true: only transactions without a category."
    )
    kind = filters.ChoiceFilter(choices=Transaction.Kind.choices)
    amount_min = MoneyFilter(field_name="amount", lookup_expr="gte")
    amount_max = MoneyFilter(field_name="amount", lookup_expr="lte")
    search = filters.CharFilter(
        method="filter_search", max_length=200, help_text="Words to find in the description, payee or notes."
    )
    ordering = StableOrderingFilter(
        fields=(("date", "date"), ("amount", "amount")),
        help_text="date, -date (default), amount or -amount.",
    )

    class Meta:
        model = Transaction
        fields: tuple[str, ...] = ()

    def filter_account(self, queryset: QuerySet[Transaction], name: str, value: Account) -> QuerySet[Transaction]:
        return queryset.filter(Q(account=value) | Q(transfer_account=value))

    def filter_search(self, queryset: QuerySet[Transaction], name: str, value: str) -> QuerySet[Transaction]:
        return transaction_search(user=self.request.user, query=value, transactions=queryset)
