"""Forms of the ledger's pages: a transaction, an account, a category and a statement to
import. They parse and check what a person typed; the writes happen in the ledger's
services, whose ValidationErrors land next to the fields (budgetpay.forms.add_service_errors)."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from budgetpay.forms import MONEY_LIMIT, RowForm, currency_choices, date_field, kind_field, money_field
from budgetpay.money import MoneyFormField
from transactions.csv_cells import DATE_FORMATS
from transactions.models import Account, Category, Transaction
from users.models import User


class TransactionForm(RowForm):
    """An income or expense of the signed-in person. Their categories are offered grouped
    by kind; anyone else's id is not among the choices and is refused."""

    kind = kind_field([(Transaction.Kind.EXPENSE, "Expense"), (Transaction.Kind.INCOME, "Income")], label="Type")
    amount = money_field("Amount")
    category = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Category")
    description = forms.CharField(
        max_length=255,
        required=False,
        label="Description",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Groceries"}),
    )
    date = date_field(label="Date")
    account = forms.TypedChoiceField(coerce=int, label="Account")
    transfer_account = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label="To account",
        help_text="Transfers only: where the money goes.",
    )
    notes = forms.CharField(max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Notes")

    def __init__(
        self,
        *args,
        user: User,
        categories: list[Category],
        accounts: list[Account],
        today: date,
        allow_transfer: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.user = user
        self._categories = {category.pk: category for category in categories}
        self._accounts = {account.pk: account for account in accounts}
        if allow_transfer:
            self.fields["kind"].choices = [*self.fields["kind"].choices, (Transaction.Kind.TRANSFER, "Transfer")]
            self.fields["transfer_account"].choices = [("", "—")] + [
                (a.pk, f"{a.name} ({a.currency})") for a in accounts
            ]
        else:
            del self.fields["transfer_account"]
        self.fields["category"].choices = [
            ("", "Uncategorised"),
            ("Expense categories", [(c.pk, c.name) for c in categories if c.kind == Category.Kind.EXPENSE]),
            ("Income categories", [(c.pk, c.name) for c in categories if c.kind == Category.Kind.INCOME]),
        ]
        self.fields["account"].choices = [(a.pk, f"{a.name} ({a.currency})") for a in accounts]
        self.fields["date"].initial = today
        if accounts and "account" not in self.initial:
            self.initial["account"] = accounts[0].pk
        self.fields["amount"].widget.attrs["autocomplete"] = "off"

    def clean_category(self) -> Category | None:
        pk = self.cleaned_data["category"]
        return self._categories[pk] if pk is not None else None

    def clean_account(self) -> Account:
        return self._accounts[self.cleaned_data["account"]]

    def clean_transfer_account(self) -> Account | None:
        pk = self.cleaned_data["transfer_account"]
        return self._accounts[pk] if pk is not None else None

    def clean(self) -> dict:
        cleaned = super().clean()
        category, kind = cleaned.get("category"), cleaned.get("kind")
        if kind == Transaction.Kind.TRANSFER:
            if category is not None:
                self.add_error("category", "A transfer between your accounts has no category; choose Uncategorised.")
            if "transfer_account" in cleaned and cleaned["transfer_account"] is None:
                self.add_error("transfer_account", "Choose the account the money goes to.")
        else:
            # A "to account" left chosen while switching to an expense or income means nothing.
            cleaned["transfer_account"] = None
            if category is not None and kind and category.kind != kind:
                self.add_error("category", f"{category.name} is an {category.kind} category; pick an {kind} category.")
        return cleaned


class AccountForm(RowForm):
    name = forms.CharField(max_length=100, label="Name", widget=forms.TextInput(attrs={"placeholder": "e.g. Savings"}))
    kind = forms.ChoiceField(choices=Account.Kind.choices, initial=Account.Kind.BANK, label="Kind")
    currency = forms.ChoiceField(label="Currency", help_text="Fixed once the account has transactions.")
    opening_balance = MoneyFormField(
        label="Opening balance",
        min_value=-MONEY_LIMIT,
        max_value=MONEY_LIMIT,
        initial=Decimal("0.00"),
        help_text="What was in it before the first transaction you record; below zero for a card you owe on.",
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    is_archived = forms.BooleanField(
        required=False, label="Archived", help_text="Keeps its history, leaves the lists and takes no new transactions."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = currency_choices()


class CategoryForm(RowForm):
    name = forms.CharField(
        max_length=100, label="Name", widget=forms.TextInput(attrs={"placeholder": "e.g. Groceries"})
    )
    kind = forms.ChoiceField(choices=Category.Kind.choices, initial=Category.Kind.EXPENSE, label="Kind")
    color = forms.RegexField(
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#6e7781",
        label="Colour",
        widget=forms.TextInput(attrs={"type": "color"}),
        error_messages={"invalid": "Use a colour like #1f883d."},
    )
    income_percentage = forms.DecimalField(
        required=False,
        label="Share of income",
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        help_text="Optional, expense categories only: the percentage of your monthly income you plan for it.",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100", "inputmode": "decimal"}),
    )
    is_fixed = forms.BooleanField(
        required=False,
        label="Fixed payment",
        help_text="Like rent: paid once a period, so projections count it once instead of as daily spending.",
    )


class ImportForm(forms.Form):
    """A bank statement CSV into one account. Columns and dates are recognised on their
    own; the optional column names are for statements whose headers are not."""

    account = forms.TypedChoiceField(coerce=int, label="Into account")
    file = forms.FileField(label="Statement (CSV)", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))
    date_format = forms.ChoiceField(
        required=False,
        label="Dates look like",
        choices=[("", "Recognise them")] + [(name, name) for name in DATE_FORMATS],
    )
    date_column = forms.CharField(required=False, max_length=100, label="Date column")
    description_column = forms.CharField(required=False, max_length=100, label="Description column")
    amount_column = forms.CharField(
        required=False, max_length=100, label="Amount column", help_text="Signed: money out below zero."
    )
    debit_column = forms.CharField(required=False, max_length=100, label="Money out column")
    credit_column = forms.CharField(required=False, max_length=100, label="Money in column")
    dry_run = forms.BooleanField(required=False, label="Only check the file; import nothing")

    MAPPED = ("date", "description", "amount", "debit", "credit")

    def __init__(self, *args, accounts: list[Account], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._accounts = {a.pk: a for a in accounts if not a.is_archived}
        self.fields["account"].choices = [(a.pk, f"{a.name} ({a.currency})") for a in self._accounts.values()]

    def clean_account(self) -> Account:
        return self._accounts[self.cleaned_data["account"]]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.API_UPLOAD_MAX_SIZE:
            raise ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {settings.API_UPLOAD_MAX_SIZE:,} bytes."
            )
        return upload

    def service_arguments(self) -> dict:
        """What transactions_import takes, from the cleaned form."""
        data = self.cleaned_data
        mapping = {name: data[f"{name}_column"].strip() for name in self.MAPPED if data[f"{name}_column"].strip()}
        return {
            "account": data["account"],
            "content": data["file"].read(),
            "mapping": mapping or None,
            "date_format": DATE_FORMATS[data["date_format"]] if data["date_format"] else None,
            "dry_run": data["dry_run"],
        }
