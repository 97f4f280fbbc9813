"""The assistant's rule answers show money as the person reads it (their locale); the
tools keep plain decimals for the model."""

import json

import pytest

from chatbot.tests.conftest import send
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
