from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from budgetpay.money import optional_non_negative_decimal
from budgetpay.validators import validate_currency

MONEY = {"max_digits": 14, "decimal_places": 2}
OWN_ROW_REQUIRED = "Choose one of your own."
KEEPS_OWNERS_ROWS = "Rows of {owner} (transactions, budgets or goals) use it, so it cannot change hands."


class Account(models.Model):
    class Kind(models.TextChoices):
        CASH = "cash", "Cash"
        BANK = "bank", "Bank account"
        CARD = "card", "Card"
        SAVINGS = "savings", "Savings"
        OTHER = "other", "Other"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="accounts")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.BANK)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    opening_balance = models.DecimalField(**MONEY, default=Decimal("0.00"))
    is_archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name", "id")
        constraints = [
            models.UniqueConstraint("user", Lower("name"), name="transactions_account_unique_name_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    def clean(self) -> None:
        """An account stays with the person whose rows use it. Handing it to someone else
        (the admin can change `user`) would move money into a ledger whose owner cannot see
        the rows that make up its balance."""
        if self.pk is None or self.user_id is None:
            return
        for rows in (self.transactions, self.incoming_transfers, self.goals):
            other = rows.exclude(user_id=self.user_id).values_list("user__email", flat=True).first()
            if other is not None:
                raise ValidationError({"user": [KEEPS_OWNERS_ROWS.format(owner=other)]})


class Category(models.Model):
    class Kind(models.TextChoices):
        EXPENSE = "expense", "Expense"
        INCOME = "income", "Income"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.EXPENSE)
    color = models.CharField(
        max_length=7,
        default="#6e7781",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1f883d.")],
    )
    # Share of the user's monthly income planned for this category (the earlier
    # product's allocation); a user's shares never sum past 100.
    income_percentage = models.DecimalField(**optional_non_negative_decimal(max_digits=5))
    # Payments of a set size once a period (rent): budget projections count what was paid
    # once instead of extrapolating it by day. Set by the person until recurring payments
    # are detected; new people's Housing starts with it on.
    is_fixed = models.BooleanField(
        default=False,
        help_text="Fixed payments such as rent: projections count them once, not as daily spending.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("kind", "name", "id")
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint("user", "kind", Lower("name"), name="transactions_category_unique_name_per_user"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A category stays with the person whose transactions and budgets use it (see Account.clean)."""
        if self.pk is None or self.user_id is None:
            return
        for rows in (self.transactions, self.budgets):
            other = rows.exclude(user_id=self.user_id).values_list("user__email", flat=True).first()
            if other is not None:
                raise ValidationError({"user": [KEEPS_OWNERS_ROWS.format(owner=other)]})


class Transaction(models.Model):
    """Money in, out, or between two of the user's own accounts.

    `amount` is always positive, in the account's currency; `kind` gives the
    direction. A transfer moves `amount` from `account` to `transfer_account`
    and is never income or spending.
    """

    class Kind(models.TextChoices):
        INCOME = "income", "Income"
        EXPENSE = "expense", "Expense"
        TRANSFER = "transfer", "Transfer"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="transactions")
    account = models.ForeignKey(Account, on_delete=models.RESTRICT, related_name="transactions")
    transfer_account = models.ForeignKey(
        Account, on_delete=models.RESTRICT, null=True, blank=True, related_name="incoming_transfers"
    )
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="transactions"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.EXPENSE)
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    date = models.DateField(help_text="The date in the user's own timezone.")
    description = models.CharField(max_length=255, blank=True)
    payee = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True, max_length=4000)
    tags = models.JSONField(default=list, blank=True)
    external_id = models.CharField(max_length=128, blank=True)
    # Fingerprint of an imported CSV row, so importing the same file twice adds nothing.
    import_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-date", "-id")
        indexes = [
            models.Index(fields=["user", "-date", "-id"], name="tx_user_date"),
            models.Index(fields=["user", "category", "date"], name="tx_user_category_date"),
            models.Index(fields=["account", "date"], name="tx_account_date"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transactions_amount_positive"),
            models.CheckConstraint(
                condition=(
                    Q(kind="transfer") & Q(transfer_account__isnull=False) & ~Q(transfer_account=models.F("account"))
                )
                | (~Q(kind="transfer") & Q(transfer_account__isnull=True)),
                name="transactions_transfer_has_other_account",
            ),
            models.UniqueConstraint(
                fields=["user", "import_hash"],
                condition=~Q(import_hash=""),
                name="transactions_unique_import_row",
            ),
            models.UniqueConstraint(
                fields=["account", "external_id"],
                condition=~Q(external_id=""),
                name="transactions_unique_external_id_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.kind} {self.amount} {self.description}"

    def clean(self) -> None:
        """Everything a transaction points at belongs to its owner. The services (so the API,
        the pages and the assistant) and the admin's forms all run this through full_clean():
        none of them may put one person's transaction on another person's account, where a
        balance would change for someone who cannot see the row, or in their category."""
        if self.user_id is None:
            return  # the missing owner is its field's own error
        errors = {
            name: [OWN_ROW_REQUIRED]
            for name in ("account", "category", "transfer_account")
            if getattr(self, f"{name}_id") is not None and getattr(self, name).user_id != self.user_id
        }
        if errors:
            raise ValidationError(errors)


class ImportJob(models.Model):
    """A statement import too large to finish inside the request (transactions.import_jobs).
    The upload is kept here, not in a file, so any worker on any machine can run it; it is
    dropped when the job ends, keeping the counts and the rows' errors."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    # Null once the account is deleted (only an account without transactions can be): the job then fails.
    account = models.ForeignKey(Account, on_delete=models.SET_NULL, null=True, related_name="import_jobs")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    file_name = models.CharField(max_length=255, blank=True)
    content = models.BinaryField(editable=False)
    # How to read the file, as the request gave it: {"mapping": {...}, "date_format": "..."}.
    options = models.JSONField(default=dict, blank=True)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    processed_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    # The rows skipped, as the import's report lists them: [{"row": 4, "errors": {"amount": [...]}}].
    errors = models.JSONField(default=list, blank=True)
    # Why a failed job stopped, per field as a 400 would say it: {"file": ["The file is empty."]}.
    failure = models.JSONField(default=dict, blank=True)
    # Who runs it: a token set when a worker claims the job; a worker whose token was replaced stops.
    claim = models.CharField(max_length=32, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # The running job's heartbeat too: touched by every batch.
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)
        indexes = [models.Index(fields=["state", "updated_at"], name="import_job_state_updated")]

    def __str__(self) -> str:
        return f"import {self.pk} of user {self.user_id} ({self.state})"
