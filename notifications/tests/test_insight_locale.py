"""Rule-written insights show amounts in the person's locale; the context the model reads
keeps plain decimals."""

from decimal import Decimal

import pytest

from budgetpay.testing.factories import make_transaction
from budgetpay.testing.people import client_for, make_user
from notifications.insights import rules_insight
from notifications.models import Notification
from transactions.models import Account

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def test_a_rules_insight_is_written_in_the_persons_locale(settings):
    settings.OPENROUTER_API_KEY = ""  # AI off: the rules write it
    person = make_user("de@example.com", currency="EUR", timezone="Europe/Berlin", locale="de-DE")
    make_transaction(Account.objects.get(user=person), amount="1234.50")
    response = client_for(person).post("/api/v1/notification/generate-ai", {"type": "budget_insight"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["message"].startswith(f"You have spent 1.234,50{NBSP}€")
    stored = Notification.objects.get(user=person)
    assert stored.data == {"source": "rules"}


def test_an_overspent_budget_reads_in_whole_yen():
    context = {
        "currency": "JPY",
        "month": {"spending": "5000.00", "income": "0.00", "days_left": 3, "spending_change_percent": None},
        "budgets": [
            {
                "name": "Food",
                "spent": "5000.00",
                "available": "3999.50",
                "remaining": "-1000.50",
                "days_left": 3,
                "percent_used": "125.01",
            }
        ],
        "goals": [],
        "top_categories": [],
        "recent_activity": {"hours_since_last_entry": 1},
    }
    insight = rules_insight(Notification.Type.SPENDING_ALERT, context, locale="en")
    assert insight.message == (
        "You have spent ¥5,000 of ¥4,000 on Food, ¥1,001 over, with 3 day(s) left in the period."
    )
    assert rules_insight(
        Notification.Type.SPENDING_ALERT, {**context, "currency": "EUR"}, locale="de-DE"
    ).message.startswith(f"You have spent 5.000,00{NBSP}€ of 3.999,50{NBSP}€ on Food, 1.000,50{NBSP}€ over")
    assert Decimal(context["budgets"][0]["remaining"]) == Decimal("-1000.50")  # the context is untouched
