import json
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from django.urls import reverse
from rest_framework import serializers

from budgetpay.money import MoneyField
from budgetpay.validators import validate_user_date
from transactions.csv_cells import resolve_date_format
from transactions.csv_import import IMPORT_FIELDS
from transactions.models import Account, Category, ImportJob, Transaction
from transactions.parsing import MAX_TAG_LENGTH, MAX_TAGS, normalize_tags

T = TypeVar("T")
R = TypeVar("R")


def _parsed(parse: Callable[[T], R], value: T) -> R:
    """`parse(value)`; the ValueError it raises is the field's 400, in its own words."""
    try:
        return parse(value)
    except ValueError as exc:
        raise serializers.ValidationError(str(exc)) from exc


# The fields of a transactions.reports.PeriodReport, first in each report's answer. (No
# docstring: the schema would give it to every report serializer as its description.)
class PeriodReportSerializer(serializers.Serializer):
    period = serializers.CharField(source="period_kind")
    date = serializers.DateField(source="on")
    start = serializers.DateField(source="period.start")
    end = serializers.DateField(source="period.end")
    currency = serializers.CharField()


class OwnedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id of one of the requesting user's own rows; anyone else's is "not found" (400)."""

    def get_queryset(self):
        return super().get_queryset().filter(user=self.context["request"].user)


class AccountSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(
        max_length=3, required=False, help_text="ISO 4217 code; defaults to your profile currency."
    )
    opening_balance = MoneyField(required=False)
    balance = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        read_only=True,
        help_text="Opening balance + income - expenses - transfers out + transfers in.",
    )

    class Meta:
        model = Account
        fields = ("id", "name", "kind", "currency", "opening_balance", "is_archived", "balance", "created_at")
        read_only_fields = ("id", "created_at")


class CategorySerializer(serializers.ModelSerializer):
    income_percentage = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        allow_null=True,
        help_text="Share of monthly income planned for this expense category; yours sum to at most 100.",
    )

    class Meta:
        model = Category
        fields = ("id", "name", "kind", "color", "income_percentage", "is_fixed", "created_at")
        read_only_fields = ("id", "created_at")
        extra_kwargs = {
            "is_fixed": {
                "help_text": (
                    "Fixed payments such as rent: budget projections count what was paid once instead of "
                    "extrapolating it by day. Defaults to false; new people's Housing starts true."
                )
            }
        }


class TransactionSerializer(serializers.ModelSerializer):
    account = OwnedPrimaryKeyRelatedField(queryset=Account.objects.all())
    category = OwnedPrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    transfer_account = OwnedPrimaryKeyRelatedField(
        queryset=Account.objects.all(),
        required=False,
        allow_null=True,
        help_text="For transfers only: your other account, in the same currency, that receives the money.",
    )
    amount = MoneyField(
        positive=True,
        positive_message="Enter an amount above zero; the kind says which way the money goes.",
        help_text="Above zero, at most 2 decimal places; the kind gives the direction.",
    )
    date = serializers.DateField(
        required=False,
        validators=[validate_user_date],
        help_text="Between 1900-01-01 and 2199-12-31; defaults to today in your time zone.",
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False),
        required=False,
        help_text=f"Up to {MAX_TAGS} short labels of at most {MAX_TAG_LENGTH} characters.",
    )
    currency = serializers.CharField(source="account.currency", read_only=True)

    class Meta:
        model = Transaction
        fields = (
            "id",
            "account",
            "kind",
            "amount",
            "currency",
            "date",
            "category",
            "transfer_account",
            "description",
            "payee",
            "notes",
            "tags",
            "external_id",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_at", "updated_at")
        validators: list = []  # the service checks external_id per account and names the field

    def validate_tags(self, value: list[str]) -> list[str]:
        return _parsed(normalize_tags, value)


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The statement as a CSV file.")
    account = OwnedPrimaryKeyRelatedField(queryset=Account.objects.all(), help_text="The account to import into.")
    dry_run = serializers.BooleanField(default=False, help_text="true: only show what would be imported.")
    mapping = serializers.CharField(
        required=False,
        max_length=2000,
        help_text=(
            "JSON naming the file's columns when they are not recognised, e.g. "
            '{"date": "Posting Date", "description": "Memo", "amount": "Amount"} or with "debit" and "credit". '
            f"Fields: {', '.join(IMPORT_FIELDS)}."
        ),
    )
    date_format = serializers.CharField(
        required=False,
        max_length=32,
        help_text="DD/MM/YYYY, MM/DD/YYYY, YYYY-MM-DD, DD.MM.YYYY ... or a pattern like %d/%m/%Y. Detected when absent.",
    )

    def validate_mapping(self, value: str) -> dict[str, str]:
        try:
            mapping = json.loads(value)
        except (ValueError, RecursionError):
            mapping = None
        if not isinstance(mapping, dict) or not all(isinstance(v, str) and v for v in mapping.values()):
            raise serializers.ValidationError(
                'Send a JSON object of field to column name, e.g. {"date": "Posting Date"}.'
            )
        unknown = sorted(mapping.keys() - set(IMPORT_FIELDS))
        if unknown:
            raise serializers.ValidationError(f"Unknown fields {', '.join(unknown)}; use {', '.join(IMPORT_FIELDS)}.")
        if "amount" in mapping and ("debit" in mapping or "credit" in mapping):
            raise serializers.ValidationError("Map either amount, or debit and credit, not both.")
        return mapping

    def validate_date_format(self, value: str) -> str:
        return _parsed(resolve_date_format, value)


class ImportedRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Line number in the file.")
    status = serializers.ChoiceField(choices=("created", "new", "duplicate"))
    id = serializers.IntegerField(allow_null=True)
    date = serializers.DateField()
    kind = serializers.CharField(help_text="income, expense or transfer.")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    description = serializers.CharField()
    payee = serializers.CharField()
    category = serializers.IntegerField(allow_null=True)
    transfer_account = serializers.IntegerField(allow_null=True)


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Line number in the file.")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ImportReportSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    dry_run = serializers.BooleanField()
    layout = serializers.ChoiceField(choices=("signed_amount", "debit_credit", "amount_and_kind"))
    columns = serializers.DictField(child=serializers.CharField(), help_text="Field -> the column it was read from.")
    date_format = serializers.CharField(allow_null=True)
    date_order = serializers.ChoiceField(choices=("day_first", "month_first"), allow_null=True)
    created = serializers.IntegerField(help_text="Rows added (0 in a dry run).")
    new = serializers.IntegerField(help_text="Rows that are not duplicates (added, or would be).")
    duplicates = serializers.IntegerField(help_text="Rows imported before, skipped.")
    rows = ImportedRowSerializer(many=True)
    errors = RowErrorSerializer(many=True, help_text="Rows that could not be read, skipped.")


class ImportJobSerializer(serializers.ModelSerializer):
    status_url = serializers.SerializerMethodField(help_text="Where to GET this import's state.")
    errors = RowErrorSerializer(many=True, read_only=True, help_text="Rows that could not be read, skipped.")
    failure = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        read_only=True,
        help_text='Why a failed import stopped, by field as a 400 would say it: {"file": ["The file is empty."]}.',
    )

    class Meta:
        model = ImportJob
        fields = (
            "id",
            "state",
            "status_url",
            "account",
            "file_name",
            "total_rows",
            "processed_rows",
            "created",
            "duplicates",
            "errors",
            "failure",
            "created_at",
            "finished_at",
        )
        read_only_fields = fields
        extra_kwargs = {
            "total_rows": {"help_text": "Data rows in the file; null until the file has been read."},
            "processed_rows": {"help_text": "Data rows dealt with so far (added, duplicate or skipped)."},
            "created": {"help_text": "Rows added."},
            "duplicates": {"help_text": "Rows imported before, skipped."},
        }

    def get_status_url(self, job: ImportJob) -> str:
        return reverse("transaction-import-job", kwargs={"job_id": job.pk})
