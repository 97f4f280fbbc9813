"""Forms of the goals' pages: a goal, and money put into or taken out of it. They parse what
a person typed; the goals' services judge it, and their ValidationErrors land on the fields."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from budgetpay.forms import RowForm, date_field, kind_field, money_field
from goals.models import GoalEntry


class GoalForm(RowForm):
    name = forms.CharField(
        max_length=100, label="Name", widget=forms.TextInput(attrs={"placeholder": "e.g. Emergency fund"})
    )
    target_amount = money_field("Target")
    target_date = date_field(
        required=False, label="Target date", help_text="Optional; we'll tell you how much to put aside."
    )

    def __init__(self, *args, today: date | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_target_date(self) -> date | None:
        target = self.cleaned_data["target_date"]
        if (
            target is not None
            and self.today is not None
            and target < self.today
            and self.initial.get("target_date") != target
        ):
            raise ValidationError("Pick a date from today on.")
        return target


class GoalEntryForm(forms.Form):
    kind = kind_field(
        [(GoalEntry.Kind.CONTRIBUTION, "Add money"), (GoalEntry.Kind.WITHDRAWAL, "Take money out")], label="What"
    )
    amount = money_field("Amount")
    date = date_field(label="Date")
    note = forms.CharField(max_length=255, required=False, label="Note")

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = today
