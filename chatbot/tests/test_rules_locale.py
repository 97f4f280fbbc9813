"""The assistant's rule answers show money as the person reads it (their locale); the
tools keep plain decimals for the model."""

import json

import pytest

from budgetpay.testing.chat import send
from chatbot.tools import Turn, spending_summary

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def test_rule_answers_are_in_the_persons_locale(auth_client, user, ledger, ai_off):
    user.locale = "de-DE"
    user.save(update_fields=["locale"])
    reply = send(auth_client, "what did I spend last month?").json()["reply"]["content"]
    assert f"You spent 82,50{NBSP}$ from" in reply
    assert f"By category: Groceries 52,50{NBSP}$, Food 30,00{NBSP}$." in reply
    biggest = send(auth_client, "biggest expenses last month").json()["reply"]["content"]
    assert f"40,00{NBSP}$, Supermarket" in biggest


def test_tool_results_for_the_model_keep_plain_amounts(user, ledger):
    user.locale = "de-DE"
    result = spending_summary(Turn(user=user, conversation=None, today=ledger.today), period="last_month")
    assert (result["total_spent"], result["currency"]) == ("82.50", "USD")
    assert "82,50" not in json.dumps(result)


def test_the_model_is_told_how_the_person_reads_money(auth_client, user, ledger, fake_openrouter):
    user.locale = "de-DE"
    user.save(update_fields=["locale"])
    fake_openrouter.reply_tool_call("spending_summary", {"period": "last_month"})
    fake_openrouter.reply_text("Du hast 82,50 $ ausgegeben.")
    assert send(auth_client, "What did I spend last month?").status_code == 201
    first, second = fake_openrouter.calls
    assert f"like 1.234,50{NBSP}$." in first["messages"][0]["content"]
    tool_result = json.loads(second["messages"][-1]["content"])
    assert tool_result["total_spent"] == "82.50"  # the tool's own figure stays plain
