"""The page kit's template helpers: money, times, accessible form fields, navigation.
The bell and notification links are notifications' own (notification_tags)."""

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django import template
from django.forms import BoundField, CheckboxInput, CheckboxSelectMultiple, RadioSelect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from budgetpay.formatting import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """`{{ amount|money:currency }}`: in the signed-in person's locale (RequestLocaleMiddleware)."""
    return format_money(amount, currency)


@register.filter
def money_signed(amount: Decimal | None, currency: str) -> str:
    return format_money(amount, currency, signed=True)


@register.filter
def ago(moment: datetime) -> str:
    """ "just now", "5 minutes ago", "2 days, 3 hours ago"."""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"


@register.filter
def absolute(amount: Decimal | None) -> Decimal:
    return abs(amount or Decimal("0"))


@register.filter
def bar_width(percent: Decimal | None) -> str:
    """A percentage clamped to 0–100 for a bar's CSS width ("64.5%")."""
    try:
        value = min(max(Decimal(percent or 0), Decimal("0")), Decimal("100"))
    except (InvalidOperation, TypeError):
        value = Decimal("0")
    return f"{value:.1f}%"


@register.filter
def progress_value(percent: Decimal | None) -> int:
    """A whole percentage within 0–100 for aria-valuenow (the text says when it is past 100)."""
    try:
        return int(min(max(Decimal(percent or 0), Decimal("0")), Decimal("100")))
    except (InvalidOperation, TypeError):
        return 0


@register.filter
def widget(field: BoundField) -> str:
    """The field's input, tied to its help text and errors for screen readers."""
    describedby = []
    if field.help_text:
        describedby.append(f"{field.auto_id}_help")
    if field.errors:
        describedby.append(f"{field.auto_id}_error")
    attrs = {}
    if describedby:
        attrs["aria-describedby"] = " ".join(describedby)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, CheckboxInput)


@register.filter
def is_choice_list(field: BoundField) -> bool:
    return isinstance(field.field.widget, RadioSelect | CheckboxSelectMultiple)


@register.simple_tag(takes_context=True)
def nav_link(context, url_name: str, label: str, *prefixes: str) -> str:
    """A navigation link, marked as the current page when the path is under it (or a prefix)."""
    url = reverse(url_name)
    path = context["request"].path
    current = path == url if url == "/" else any(path.startswith(prefix) for prefix in (url, *prefixes))
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)
