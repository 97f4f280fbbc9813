"""Forms of the account pages: the fields allauth's sign-up page adds, the profile, and the
once-only check of currency and time zone. The writes happen in users.services."""

import zoneinfo
from functools import cache

from django import forms
from django.core.exceptions import ValidationError

from budgetpay.formatting import LocaleError, active_locale, currency_for_locale, locale_choices, normalize_locale
from budgetpay.forms import currency_choices
from budgetpay.money import MoneyFormField
from budgetpay.validators import validate_timezone
from users.models import User


def timezone_input(*, replaces: str = "") -> forms.TextInput:
    """A time zone typed with suggestions (the page's #timezone-names list). signup.js puts
    the browser's zone in it when it is empty or still holds `replaces` (e.g. "UTC")."""
    return forms.TextInput(
        attrs={
            "list": "timezone-names",
            "autocomplete": "off",
            "spellcheck": "false",
            "data-browser-timezone": replaces,
        }
    )


class SignupExtraForm(forms.Form):
    """Fields the allauth sign-up page asks for beyond email and password: the name, and the
    currency and time zone the person's money and days are kept in, so nobody starts on
    USD/UTC by accident. The currency starts as the one of the browser's region (its
    Accept-Language, through CLDR); signup.js fills in the browser's time zone (without
    JavaScript it is typed, with suggestions)."""

    full_name = forms.CharField(max_length=150, required=False, label="Full name")
    currency = forms.ChoiceField(
        label="Currency",
        help_text="Budgets, reports and notifications are in this currency.",
        error_messages={"required": "Choose the currency your budgets are in."},
    )
    timezone = forms.CharField(
        max_length=64,
        label="Time zone",
        widget=timezone_input(),
        help_text="Your days, weeks and months start at midnight here, e.g. Europe/Berlin.",
        error_messages={"required": "Enter your time zone, e.g. Europe/Berlin."},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", "Choose your currency"), *currency_choices()]
        suggested = currency_for_locale(active_locale())  # the browser's, for someone signed out
        if suggested in dict(currency_choices()):
            self.fields["currency"].initial = suggested

    def clean_timezone(self) -> str:
        name = self.cleaned_data["timezone"].strip()
        validate_timezone(name)
        return name

    def timezone_names(self) -> list[str]:
        return timezone_names()

    def apply_locale_settings(self, user: User) -> None:
        """The chosen currency and time zone, before the new person's first save (their
        starter account is opened in the currency)."""
        user.currency = self.cleaned_data["currency"]
        user.timezone = self.cleaned_data["timezone"]
        user.confirmed_locale_settings = True

    def signup(self, request, user: User) -> None:
        user.full_name = self.cleaned_data["full_name"]
        user.save(update_fields=["full_name"])


# --- Profile -----------------------------------------------------------------------------


@cache
def timezone_names() -> list[str]:
    return sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC")


class ProfileForm(forms.ModelForm):
    """Name, currency, timezone, number format and income. The timezone is typed with
    suggestions (a list of ~600 names is no fun to scroll); the model's validator judges it."""

    class Meta:
        model = User
        fields = ("full_name", "currency", "timezone", "locale", "monthly_income")
        labels = {"monthly_income": "Monthly income", "timezone": "Time zone", "locale": "Number format"}
        # The model's own form field would hand the text to Decimal(), which takes "1e3" and "０１２".
        field_classes = {"monthly_income": MoneyFormField}
        help_texts = {
            "currency": "Budgets, reports and notifications are in this currency.",
            "timezone": "Your days, weeks and months start at midnight here. Start typing, e.g. Europe/Berlin.",
            "monthly_income": "Used to suggest how much each category may take.",
            "locale": "How amounts are written, e.g. $1,234.50 (English, United States) or 1.234,50 € (German).",
        }
        widgets = {
            "timezone": forms.TextInput(attrs={"list": "timezone-names", "autocomplete": "off", "spellcheck": "false"}),
            "monthly_income": forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].widget = forms.Select(choices=currency_choices())
        if "locale" in self.fields:
            choices = locale_choices()
            current = self.instance.locale
            if current and current not in dict(choices):
                choices = [(current, current), *choices]
            self.fields["locale"].widget = forms.Select(choices=choices)
            self.fields["locale"].required = False  # left out, it stays as it is

    def clean_locale(self) -> str:
        # "de_de" and "de-de" mean de-DE; the model's validator takes only the canonical tag.
        if not self.cleaned_data["locale"]:
            return self.instance.locale
        try:
            return normalize_locale(self.cleaned_data["locale"])
        except LocaleError as exc:
            raise ValidationError(str(exc)) from exc

    def timezone_names(self) -> list[str]:
        return timezone_names()


class LocaleSettingsForm(ProfileForm):
    """The once-only check of currency and time zone for people who may never have chosen
    them (users.pages.locale_settings_check). The time zone still on UTC is offered the
    browser's by signup.js; the currency field says what the browser's region uses."""

    class Meta(ProfileForm.Meta):
        fields = ("currency", "timezone")

    def __init__(self, *args, browser_currency: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].widget = timezone_input(replaces="UTC" if self.instance.timezone == "UTC" else "")
        if browser_currency and browser_currency != self.instance.currency:
            self.fields["currency"].help_text += f" Your browser's region uses {browser_currency}."
