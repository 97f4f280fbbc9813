"""The budget form of the budgets' pages. It reads what a person typed ("80, 100%" into a list
of whole numbers); which alert percentages a budget may have is the budgets model's rule
(Budget.thresholds' validator), run by the services, whose ValidationError lands on the field."""

from django import forms
from django.core.exceptions import ValidationError

from budgetpay.forms import RowForm, money_field
from budgets.models import Budget
from transactions.models import Category


class BudgetForm(RowForm):
    category = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Category", help_text="Or all spending, to cap the total."
    )
    amount = money_field("Limit")
    period = forms.ChoiceField(choices=Budget.Period.choices, initial=Budget.Period.MONTHLY, label="Every")
    name = forms.CharField(
        max_length=100, required=False, label="Name", help_text="Optional; the category's name by default."
    )
    thresholds = forms.CharField(
        initial="80, 100",
        label="Alert me at",
        help_text="Percentages of the limit, separated by commas.",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={"required": "Enter at least one percentage, e.g. 80, 100."},
    )
    rollover = forms.BooleanField(required=False, label="Carry unspent money into the next period")

    def __init__(self, *args, categories: list[Category], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._categories = {c.pk: c for c in categories if c.kind == Category.Kind.EXPENSE}
        self.fields["category"].choices = [("", "All spending")] + [(c.pk, c.name) for c in self._categories.values()]

    @classmethod
    def initial_from(cls, budget: Budget) -> dict:
        return {**super().initial_from(budget), "thresholds": ", ".join(str(value) for value in budget.thresholds)}

    def clean_category(self) -> Category | None:
        pk = self.cleaned_data["category"]
        return self._categories[pk] if pk is not None else None

    def clean_thresholds(self) -> list[int]:
        """ "50, 80%" as [50, 80]; only text that is not whole numbers is refused here."""
        parts = [part.strip().rstrip("%").strip() for part in self.cleaned_data["thresholds"].split(",")]
        try:
            return [int(part) for part in parts if part]
        except ValueError:
            raise ValidationError("Use whole percentages separated by commas, e.g. 80, 100.") from None
