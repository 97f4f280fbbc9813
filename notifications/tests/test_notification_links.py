"""Notifications link to what they are about, from one map (notifications.templatetags.notification_tags.RELATED_PAGES):
the list and the bell through the related_url filter, the live toasts through the same map as
JSON on the page (app.js fills in the id; users/tests/test_phone.py follows a toast's link in a browser)."""

import json
import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest

from budgets.models import Budget
from goals.models import Goal
from notifications.services import notify
from transactions.models import Account, Transaction

pytestmark = pytest.mark.django_db


def test_the_list_and_the_bell_link_each_notification_to_its_budget_goal_or_transaction(page_client, user):
    account = Account.objects.get(user=user)
    budget = Budget.objects.create(user=user, amount=Decimal("100.00"), start_date=date(2026, 1, 1))
    goal = Goal.objects.create(user=user, name="Bike", target_amount=Decimal("400.00"))
    transaction = Transaction.objects.create(user=user, account=account, amount=Decimal("5.00"), date=date(2026, 1, 2))
    for title, related in (
        ("About a budget", budget),
        ("About a goal", goal),
        ("About an expense", transaction),
        ("About nothing", None),
    ):
        notify(user=user, type="announcement", title=title, message="…", related=related)

    html = page_client.get("/notifications/").content.decode()

    main = html[html.index("<main") :]
    assert f'<a href="/budgets/{budget.pk}/edit/">About a budget</a>' in main
    assert f'<a href="/goals/{goal.pk}/money/">About a goal</a>' in main
    assert f'<a href="/transactions/{transaction.pk}/edit/">About an expense</a>' in main
    assert "About nothing</p>" in main  # no link for a notification about nothing in particular
    bell = html[html.index("data-notification-panel") : html.index("<main")]
    assert f'<a href="/budgets/{budget.pk}/edit/">About a budget</a>' in bell


def test_the_pages_carry_the_same_map_for_the_live_toasts(page_client):
    html = page_client.get("/").content.decode()

    patterns = json.loads(unescape(re.search(r'data-related-urls="([^"]*)"', html).group(1)))
    assert patterns == {"budget": "/budgets/0/edit/", "goal": "/goals/0/money/", "transaction": "/transactions/0/edit/"}
