from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from transactions.models import MONEY, Category

EXPENSE_CATEGORY_REQUIRED = "Budgets limit spending: pick one of your expense categories, or none for all spending."


def default_thresholds() -> list[int]:
    return [80, 100]


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
    thresholds = models.JSONField(default=default_thresholds)
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
