"""AI insights through the real openai client against the local OpenRouter stand-in."""

import json
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from budgetpay.testing.factories import make_account, make_category, make_transaction
from budgetpay.testing.insights import GENERATE, GENERATE_AI, NOW, TODAY
from budgets.models import Budget
from chatbot.context import financial_context
from goals.models import Goal
from notifications.insights import choose_insight_type
from notifications.models import Notification

# Every test is on the insight day (notifications/tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("insight_clock")]


def test_the_context_has_correct_figures_and_no_identifiers(user, calm_month):
    account, dining = calm_month
    Budget.objects.create(user=user, category=dining, amount=Decimal("80.00"), start_date=date(2026, 11, 1))
    context = financial_context(user=user, today=TODAY)
    assert context["month"]["income"] == "3000.00"
    assert context["month"]["spending"] == "100.00"
    assert context["month"]["days_left"] == 21
    assert context["top_categories"][0] == {"name": "Dining", "spent": "100.00", "share_percent": "100.00"}
    (budget,) = context["budgets"]
    assert (budget["spent"], budget["remaining"]) == ("100.00", "-20.00")
    text = json.dumps(context)
    assert user.email not in text and user.full_name not in text


@pytest.mark.parametrize(
    ("prepare", "expected"),
    [
        ("nothing", "activity_reminder"),
        ("overspent", "spending_alert"),
        ("goal_behind", "goal_progress"),
        ("spent_most_income", "saving_tip"),
        ("calm", "budget_insight"),
    ],
)
def test_insight_type_selection(user, prepare, expected):
    account = make_account(user, name="Everyday")
    food = make_category(user, name="Groceries")
    user.monthly_income = Decimal("1000.00")
    user.save()
    if prepare != "nothing":
        make_transaction(account, amount="10.00", category=food, on=TODAY)
    if prepare == "overspent":
        Budget.objects.create(user=user, category=food, amount=Decimal("5.00"), start_date=TODAY)
    if prepare == "goal_behind":
        goal = Goal.objects.create(
            user=user, name="Car", target_amount=Decimal("5000.00"), target_date=TODAY + timedelta(days=30)
        )
        Goal.objects.filter(pk=goal.pk).update(created_at=NOW - timedelta(days=300))
    if prepare == "spent_most_income":
        make_transaction(account, amount="900.00", category=food, on=TODAY)
    assert choose_insight_type(financial_context(user=user, today=TODAY)) == expected


def test_generate_budget_insight_with_ai(auth_client, user, calm_month, fake_openrouter):
    fake_openrouter.reply_text(
        json.dumps({"title": "Dining is running hot", "message": "100.00 USD on dining so far."})
    )
    response = auth_client.post(GENERATE)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["title"] == "Dining is running hot"
    assert body["data"] == {"source": "ai", "model": "openai/gpt-4o-mini"}
    assert body["source"] == "ai"
    sent = fake_openrouter.calls[0]["messages"][1]["content"]
    assert '"spending": "100.00"' in sent and user.email not in sent
    assert Notification.objects.get(source="ai").title == "Dining is running hot"


@pytest.mark.parametrize("trouble", ["no_key", "timeout", "500", "not_json", "markup"])
def test_fallback_to_rules(auth_client, user, calm_month, fake_openrouter, settings, trouble):
    if trouble == "no_key":
        settings.OPENROUTER_API_KEY = ""
    elif trouble == "timeout":
        fake_openrouter.reply_slowly(3)
        fake_openrouter.reply_slowly(3)
    elif trouble == "500":
        fake_openrouter.reply_error(500, times=2)
    elif trouble == "not_json":
        fake_openrouter.reply_text("Here is a tip: spend less!")
    elif trouble == "markup":
        fake_openrouter.reply_text(json.dumps({"title": "<script></script>", "message": "<b></b>"}))
    response = auth_client.post(GENERATE_AI, {"type": "saving_tip"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["data"] == {"source": "rules"}
    assert body["type"] == "saving_tip"
    assert "at $100.00" in body["message"] and "Dining" in body["message"]


def test_model_output_is_bounded_and_stripped(auth_client, user, calm_month, fake_openrouter):
    fake_openrouter.reply_text(
        "```json\n"
        + json.dumps({"title": "<b>Nice</b> " + "x" * 300, "message": "<img src=x onerror=alert(1)>Save " + "y" * 2000})
        + "\n```"
    )
    body = auth_client.post(GENERATE_AI, {"type": "budget_insight", "focus": "dining"}, format="json").json()
    assert body["data"]["source"] == "ai"
    assert "<" not in body["title"] and len(body["title"]) <= 120
    assert "<" not in body["message"] and len(body["message"]) <= 600
    assert '"user_focus": "dining"' in fake_openrouter.calls[0]["messages"][1]["content"]


def test_unknown_type_is_400(auth_client):
    response = auth_client.post(GENERATE_AI, {"type": "horoscope"}, format="json")
    assert response.status_code == 400
    assert "horoscope" in response.json()["message"]


def test_the_daily_limit_answers_429_with_retry_after(auth_client, user, calm_month, fake_openrouter, settings):
    settings.AI_DAILY_LIMIT = 1
    assert auth_client.post(GENERATE).status_code == 201
    assert auth_client.post(GENERATE).status_code == 200  # the stored one (same figures today): no AI request
    response = auth_client.post(GENERATE_AI, {"type": "saving_tip"}, format="json")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 9 * 3600 + 1  # until midnight UTC from 15:00
    # One mapping for every AI endpoint (budgetpay.api): the chat's code, was "ai_daily_limit" here.
    assert response.json()["code"] == "daily_limit_reached"
    assert response.json()["message"] == "The daily limit of 1 AI requests is reached; try again tomorrow."


def test_daily_command_sends_one_a_day_and_respects_mutes(user, other_user, calm_month, fake_openrouter):
    from notifications.services import preferences_update

    preferences_update(user=other_user, changes={"activity_reminder": False})
    out = StringIO()
    call_command("send_daily_insights", stdout=out)
    call_command("send_daily_insights", stdout=out)
    daily = Notification.objects.filter(dedupe_key__startswith="daily-insight:")
    assert daily.filter(user=user).count() == 1
    assert not daily.filter(user=other_user).exists()
    assert len(fake_openrouter.calls) == 1
    assert "1 sent" in out.getvalue()
