"""Without AI (no key, a failing or a slow provider) the chatbot answers the common
questions from rules, with the ledger's figures, and says plainly that AI is off."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest

from budgetpay.testing.chat import send
from budgetpay.testing.factories import make_transaction
from budgets.models import Budget
from chatbot.models import ProposedAction
from goals.models import Goal, GoalEntry

pytestmark = pytest.mark.django_db

QUESTION = "How much did I spend on groceries last month?"


def assert_rules_answer(reply: dict, reason: str) -> None:
    assert reply["content"].startswith("AI is off")
    assert reply["data"] == {"source": "rules", "reason": reason}
    assert "You spent $52.50 on Groceries" in reply["content"]
    assert "in 2 transactions" in reply["content"]


def test_without_a_key_rules_answer_a_spending_question(auth_client, ledger, ai_off, fake_http_server):
    response = send(auth_client, QUESTION)
    assert response.status_code == 201
    assert_rules_answer(response.json()["reply"], "no_key")
    assert fake_http_server.requests == []


def test_when_the_provider_fails_rules_answer(auth_client, ledger, fake_openrouter):
    fake_openrouter.reply_error(500, times=2)
    response = send(auth_client, QUESTION)
    assert response.status_code == 201
    assert_rules_answer(response.json()["reply"], "provider_error")
    assert len(fake_openrouter.calls) == 2  # both models were tried


def test_when_the_provider_is_too_slow_rules_answer_in_time(auth_client, ledger, fake_openrouter, settings):
    settings.OPENROUTER_TIMEOUT_SECONDS = 0.3
    settings.OPENROUTER_MODELS = ["openai/gpt-4o-mini"]
    fake_openrouter.reply_slowly(0.7)
    started = time.monotonic()
    response = send(auth_client, QUESTION)
    assert time.monotonic() - started < 0.7
    assert_rules_answer(response.json()["reply"], "provider_error")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what did I spend last month?", "You spent $82.50 from"),
        ("what did I spend last month?", "By category: Groceries $52.50, Food $30.00."),
        ("how much have I spent this month", "You spent $99.00 from"),
        ("biggest expenses last month", "$40.00, Supermarket"),
        ("what's my budget left?", "Groceries (monthly): $51.00 left of $150.00"),
        ("how are my savings goals doing?", "Holiday: $250.00 of $1,000.00 saved (25.00 %), $750.00 to go"),
        ("tell me a joke", "I can tell you how much you spent"),
    ],
)
def test_rules_answer_the_common_questions(auth_client, user, ledger, ai_off, question, expected):
    Budget.objects.create(user=user, category=ledger.groceries, amount="150.00", start_date=ledger.last_month.start)
    goal = Goal.objects.create(user=user, name="Holiday", target_amount="1000.00")
    GoalEntry.objects.create(goal=goal, amount="250.00", date=ledger.today)
    reply = send(auth_client, question).json()["reply"]
    assert expected in reply["content"]
    assert "Grace" not in reply["content"] and "$1,000.00 on" not in reply["content"]


def test_rules_propose_a_command_with_category_and_date(auth_client, user, ledger, ai_off):
    reply = send(auth_client, "add 12.50 for lunch in food today").json()["reply"]
    [action] = reply["actions"]
    assert (action["amount"], action["date"], action["description"]) == ("12.50", ledger.today.isoformat(), "lunch")
    assert action["category"] == ledger.food.pk
    assert "confirm" in reply["content"]

    reply = send(auth_client, "spent 4,20 on groceries yesterday").json()["reply"]
    action = ProposedAction.objects.get(pk=reply["actions"][0]["id"])
    assert (action.amount, action.date, action.category) == (
        Decimal("4.20"),
        ledger.today - timedelta(days=1),
        ledger.groceries,
    )
    assert ProposedAction.objects.filter(status="pending").count() == 2


def test_rules_ask_which_one_when_a_delete_is_ambiguous(auth_client, ledger, ai_off):
    make_transaction(ledger.account, amount="3.20", on=ledger.today, description="Coffee")
    second = make_transaction(ledger.account, amount="4.10", on=ledger.today, description="Coffee and cake")
    reply = send(auth_client, "delete the coffee").json()["reply"]
    assert "Which one do you mean?" in reply["content"] and "$3.20" in reply["content"]
    assert not ProposedAction.objects.exists()

    reply = send(auth_client, f"delete transaction {second.pk}").json()["reply"]
    assert reply["actions"][0]["operation"] == "delete"
    assert "no transaction #999999" in send(auth_client, "delete transaction 999999").json()["reply"]["content"]
