"""The notification bell in the page layout and the links from a notification to the page
it is about: `{% load notification_tags %}`."""

import json
from dataclasses import dataclass

from django import template
from django.urls import reverse

from notifications.models import Notification
from notifications.selectors import notifications_for, unread_count

register = template.Library()

BELL_ITEMS = 6

# The page a notification is about, by its related_type (the model's name, set by notify()):
# the one map behind the links in the lists (related_url) and in the live toasts (app.js reads
# related_url_patterns from the page).
RELATED_PAGES = {"budget": "budgets:edit", "goal": "goals:entry", "transaction": "transactions:edit"}


@dataclass(frozen=True)
class Bell:
    unread: int
    items: list[Notification]
    last_id: int


def bell_for(user) -> Bell | None:
    """The signed-in person's unread count and latest notifications, in two queries."""
    if user is None or not user.is_authenticated:
        return None
    items = list(notifications_for(user=user).order_by("-id")[:BELL_ITEMS])
    return Bell(unread=unread_count(user_id=user.pk), items=items, last_id=items[0].pk if items else 0)


@register.simple_tag(takes_context=True)
def notification_bell(context) -> Bell | None:
    return bell_for(context.get("user"))


@register.filter
def related_url(notification: Notification) -> str:
    """The page of the budget, goal or transaction a notification is about ("" for none)."""
    url_name = RELATED_PAGES.get(notification.related_type)
    if url_name is None or notification.related_id is None:
        return ""
    return reverse(url_name, args=[notification.related_id])


@register.simple_tag
def related_url_patterns() -> str:
    """The same map for app.js, as JSON: {"budget": "/budgets/0/edit/", …}; a toast puts its
    related_id where the 0 is."""
    return json.dumps({related_type: reverse(url_name, args=[0]) for related_type, url_name in RELATED_PAGES.items()})
