from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from transactions.models import MONEY

OWN_ACCOUNT_REQUIRED = "Pick one of your own accounts, or none."


class Goal(models.Model):
    """A saving goal; progress is the sum of its entries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="goals")
    name = models.CharField(max_length=100)
    target_amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    target_date = models.DateField(null=True, blank=True)
    account = models.ForeignKey(
        "transactions.Account", on_delete=models.SET_NULL, null=True, blank=True, related_name="goals"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("target_date", "name", "id")
        constraints = [
            models.CheckConstraint(condition=models.Q(target_amount__gt=0), name="goals_target_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The account a goal saves in is its owner's: the services (so the API, the pages and
        the assistant) and the admin's form all run this."""
        if self.user_id is not None and self.account_id is not None and self.account.user_id != self.user_id:
            raise ValidationError({"account": [OWN_ACCOUNT_REQUIRED]})


class GoalEntry(models.Model):
    """Money put into (contribution) or taken out of (withdrawal) a goal."""

    class Kind(models.TextChoices):
        CONTRIBUTION = "contribution", "Contribution"
        WITHDRAWAL = "withdrawal", "Withdrawal"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CONTRIBUTION)
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    date = models.DateField()
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-date", "-id")
        verbose_name_plural = "goal entries"
        indexes = [models.Index(fields=["goal", "date"], name="goalentry_goal_date")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="goals_entry_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.amount}"
