from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from transactions.models import MONEY, Category

EXPENSE_CATEGORY_REQUIRED = "Budgets limit spending: pick one of your expense categories, or none for all spending."

# The alert percentages of a budget: one to five whole percentages of its amount, each
# once. The services store them ascending (budgets.services).
MIN_THRESHOLDS, MAX_THRESHOLDS = 1, 5
LOWEST_THRESHOLD, HIGHEST_THRESHOLD = 1, 1000


def default_thresholds() -> list[int]:
    return [80, 100]


def validate_thresholds(value: object) -> None:
    """The one owner of the threshold rule: the API, the pages and the admin all reach it
    through full_clean(). The messages are the ones the API gave when its serializer held
    the rule."""
    if not isinstance(value, list) or not all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        raise ValidationError("Give the alerts as a list of whole percentages, e.g. [80, 100].", code="invalid")
    problems = []
    if any(item < LOWEST_THRESHOLD for item in value):
        problems.append(f"Ensure this value is greater than or equal to {LOWEST_THRESHOLD}.")
    if any(item > HIGHEST_THRESHOLD for item in value):
        problems.append(f"Ensure this value is less than or equal to {HIGHEST_THRESHOLD}.")
    if problems:
        raise ValidationError(problems, code="out_of_range")
    if len(value) < MIN_THRESHOLDS:
        raise ValidationError(f"Ensure this field has at least {MIN_THRESHOLDS} elements.", code="min_length")
    if len(value) > MAX_THRESHOLDS:
        raise ValidationError(f"Ensure this field has no more than {MAX_THRESHOLDS} elements.", code="max_length")
    if len(set(value)) != len(value):
        raise ValidationError("Each threshold may appear once.", code="repeated")


class Budget(models.Model):
    """A spending limit for one expense category, or for all spending when
    `category` is empty, per week, month or year, in the user's currency."""

    class Period(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        YEARLY = "yearly", "Yearly"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="budgets")
    name = models.CharField(max_length=100, blank=True)
    category = models.ForeignKey(
        "transactions.Category", on_delete=models.CASCADE, null=True, blank=True, related_name="budgets"
    )
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.MONTHLY)
    start_date = models.DateField()
    rollover = models.BooleanField(default=False, help_text="Carry unspent money into the next period.")
    # Percentages of the amount at which the user is alerted, ascending, e.g. [80, 100].
    thresholds = models.JSONField(
        default=default_thresholds,
        validators=[validate_thresholds],
        # full_clean() refuses an empty list as blank before any validator runs.
        error_messages={"blank": f"Ensure this field has at least {MIN_THRESHOLDS} elements."},
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name", "id")
        indexes = [models.Index(fields=["user", "category"], name="budget_user_category")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="budgets_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.name or (self.category.name if self.category_id else "All spending")

    def clean(self) -> None:
        """A budget limits one of its owner's expense categories (or all their spending): the
        services (so the API, the pages and the assistant) and the admin's form all run this."""
        if self.user_id is None or self.category_id is None:
            return
        if self.category.user_id != self.user_id or self.category.kind != Category.Kind.EXPENSE:
            raise ValidationError({"category": [EXPENSE_CATEGORY_REQUIRED]})
