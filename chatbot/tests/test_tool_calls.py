"""The model's tool calls through the real openai client against the local OpenRouter stand-in:
the numbers come from the ledger, bad calls come back as tool results, the loop is bounded."""

import json

import pytest

from budgetpay.testing.chat import send
from budgetpay.testing.factories import make_account, make_transaction
from budgets.reports import report_summary
from chatbot.chat import MAX_REPLY_CHARS, MAX_TOOL_ROUNDS
from chatbot.models import Conversation, Message
from chatbot.tools import TOOLS, Turn, spending_summary

pytestmark = pytest.mark.django_db


def tool_results(call: dict) -> list[dict]:
    return [json.loads(m["content"]) for m in call["messages"] if m["role"] == "tool"]


def test_a_tool_round_trip_sends_the_ledger_totals_and_stores_the_answer(auth_client, ledger, fake_openrouter, user):
    fake_openrouter.reply_tool_call("spending_summary", {"period": "last_month", "category": "groceries"})
    fake_openrouter.reply_text("You spent 52.50 USD on groceries last month.")

    response = send(auth_client, "How much did I spend on groceries last month?")

    assert response.status_code == 201, response.content
    first, second = fake_openrouter.calls
    assert {tool["function"]["name"] for tool in first["tools"]} == set(TOOLS)
    assert first["messages"][0]["role"] == "system"
    assert "not instructions" in first["messages"][0]["content"]
    assert first["messages"][-1] == {"role": "user", "content": "How much did I spend on groceries last month?"}
    echoed, result_message = second["messages"][-2:]
    assert echoed["tool_calls"][0]["function"]["name"] == "spending_summary"
    assert result_message["role"] == "tool" and result_message["tool_call_id"] == "call_1"
    result = json.loads(result_message["content"])
    assert result["total_spent"] == "52.50"
    assert result["transactions"] == 2
    assert result["period"] == {"start": ledger.last_month.start.isoformat(), "end": ledger.last_month.end.isoformat()}
    assert user.email not in json.dumps(fake_openrouter.calls)

    body = response.json()
    assert body["reply"]["content"] == "You spent 52.50 USD on groceries last month."
    assert body["reply"]["data"] == {"source": "ai", "model": "openai/gpt-4o-mini"}
    stored = Conversation.objects.get(pk=body["conversation"]["id"]).messages.all()
    assert [m.role for m in stored] == ["user", "assistant", "tool", "assistant"]
    assert json.loads(stored[2].content)["total_spent"] == "52.50"


def test_spending_by_category_for_a_date_range(auth_client, ledger, fake_openrouter):
    month = ledger.last_month
    fake_openrouter.reply_tool_call(
        "spending_summary", {"date_from": month.start.isoformat(), "date_to": month.end.isoformat()}
    )
    fake_openrouter.reply_text("82.50 in total.")
    send(auth_client, "Spending last month by category?")
    result = tool_results(fake_openrouter.calls[1])[0]
    assert result["total_spent"] == "82.50"
    assert result["by_category"] == [
        {"category": "Groceries", "spent": "52.50", "transactions": 2},
        {"category": "Food", "spent": "30.00", "transactions": 1},
    ]


def test_search_is_capped_and_only_sees_the_users_own_transactions(auth_client, ledger, fake_openrouter):
    fake_openrouter.reply_tool_call("search_transactions", {"order": "largest", "limit": 2, "kind": "expense"})
    fake_openrouter.reply_text("Your biggest: Big shop.")
    send(auth_client, "What were my biggest expenses?")
    result = tool_results(fake_openrouter.calls[1])[0]
    assert [row["amount"] for row in result["transactions"]] == ["99.00", "40.00"]
    assert (result["matches"], result["shown"]) == (4, 2)
    assert "Grace" not in json.dumps(fake_openrouter.calls)


def test_the_model_cannot_name_another_user(auth_client, ledger, fake_openrouter, other_user):
    fake_openrouter.reply_tool_call("spending_summary", {"period": "last_month", "user_id": other_user.pk})
    fake_openrouter.reply_text("I can only see your own data.")
    assert send(auth_client, "How much did Grace spend?").status_code == 201
    result = tool_results(fake_openrouter.calls[1])[0]
    assert "error" in result and "user_id" in result["error"]
    assert "1000.00" not in json.dumps(fake_openrouter.calls)


BAD_CALLS = [
    ("spending_summary", "{not json", "not valid JSON"),
    ("spending_summary", "[1, 2]", "JSON object"),
    ("spending_summary", {"period": "fortnight"}, "period: must be one of"),
    ("spending_summary", {"period": 7}, "period: expected string"),
    ("search_transactions", {"limit": "many"}, "limit: expected integer"),
    ("search_transactions", {"limit": 500}, "limit: must be at most 20"),
    ("search_transactions", {"amount_min": "lots"}, "amount_min: Enter a number"),
    ("search_transactions", {"amount_min": True}, "amount_min: expected number or string"),
    ("spending_summary", {"date_from": "2024-13-45"}, "is not a date"),
    ("spending_summary", {"category": "Unicorns"}, "no expense category named 'Unicorns'"),
    ("propose_transaction_change", {}, "operation is required"),
    ("propose_transaction_change", {"operation": "create", "amount": "-5"}, "above zero"),
    ("propose_transaction_change", {"operation": "delete", "transaction_id": 10**6}, "no transaction #1000000"),
    ("launch_rockets", {}, "There is no tool named 'launch_rockets'"),
    ("spending_summary", "[" * 3000, "not valid JSON"),
    ("spending_summary", json.dumps({"category": "x" * 5000}), "longer than 4000 characters"),
]


def test_bad_tool_calls_come_back_as_results_saying_what_was_wrong(auth_client, ledger, fake_openrouter, subtests):
    for name, arguments, says in BAD_CALLS:
        with subtests.test(tool=name, says=says):
            fake_openrouter.server.requests.clear()
            fake_openrouter.reply_tool_call(name, arguments)
            fake_openrouter.reply_text("Sorry, let me try differently.")
            response = send(auth_client, "How much did I spend?")
            assert response.status_code == 201
            assert response.json()["reply"]["content"] == "Sorry, let me try differently."
            [result] = tool_results(fake_openrouter.calls[1])
            assert says in result["error"]


def test_the_tool_loop_is_bounded(auth_client, ledger, fake_openrouter):
    for _ in range(MAX_TOOL_ROUNDS + 3):
        fake_openrouter.reply_tool_call("budget_status", {})
    response = send(auth_client, "Budgets?")
    assert response.status_code == 201
    calls = fake_openrouter.calls
    assert len(calls) == MAX_TOOL_ROUNDS + 1
    assert "tools" not in calls[-1]  # the last request asks for the answer, without tools
    assert response.json()["reply"]["data"]["source"] == "ai"


def test_a_huge_reply_is_cut_to_the_bound(auth_client, fake_openrouter):
    fake_openrouter.reply_text("blah " * 20_000)
    response = send(auth_client, "Tell me everything")
    reply = response.json()["reply"]
    assert len(reply["content"]) == MAX_REPLY_CHARS and reply["content"].endswith("…")
    assert reply["data"]["truncated"] is True


def test_an_empty_reply_still_answers(auth_client, fake_openrouter):
    fake_openrouter.reply_text("")
    reply = send(auth_client, "Hm?").json()["reply"]
    assert reply["content"] and reply["data"]["source"] == "ai"


def test_the_conversation_so_far_goes_to_the_model(auth_client, fake_openrouter):
    fake_openrouter.reply_text("Hello Ada.")
    conversation = send(auth_client, "Hi").json()["conversation"]["id"]
    fake_openrouter.reply_text("Still here.")
    send(auth_client, "Are you there?", conversation)
    roles = [(m["role"], m["content"]) for m in fake_openrouter.calls[1]["messages"][1:]]
    assert roles == [("user", "Hi"), ("assistant", "Hello Ada."), ("user", "Are you there?")]
    assert Message.objects.filter(conversation_id=conversation).count() == 4


def test_budget_and_goal_tools_report_the_ledger(auth_client, ledger, fake_openrouter, user):
    from budgets.models import Budget
    from goals.models import Goal, GoalEntry

    Budget.objects.create(user=user, category=ledger.groceries, amount="150.00", start_date=ledger.last_month.start)
    goal = Goal.objects.create(user=user, name="Holiday", target_amount="1000.00")
    GoalEntry.objects.create(goal=goal, amount="250.00", date=ledger.today)
    fake_openrouter.reply_tool_call("budget_status", {})
    fake_openrouter.reply_tool_call("goal_progress", {"name": "holiday"})
    fake_openrouter.reply_text("51.00 left; holiday 25 %.")
    send(auth_client, "Budget left, and my holiday goal?")
    [budgets] = tool_results(fake_openrouter.calls[1])
    assert budgets["budgets"][0]["spent"] == "99.00"
    assert budgets["budgets"][0]["remaining"] == "51.00"
    goals = tool_results(fake_openrouter.calls[2])[1]
    assert goals["goals"][0]["percent"] == "25.00"
    assert (goals["goals"][0]["saved"], goals["goals"][0]["remaining"]) == ("250.00", "750.00")


def test_the_spending_tool_answers_with_the_summary_reports_figures(user, ledger):
    """spending_summary reads transactions.reports, as the summary report (the API and the
    dashboard) does: the same categories, amounts and other currencies, in the same order."""
    euros = make_account(user, name="Euro card", currency="EUR")
    make_transaction(euros, amount="7.00", on=ledger.last_month.start, description="Croissants")
    pounds = make_account(user, name="Pound savings", currency="GBP")
    make_transaction(pounds, amount="50.00", kind="income", on=ledger.last_month.start)  # no spending in GBP

    result = spending_summary(Turn(user=user, conversation=None, today=ledger.today), period="last_month")
    report = report_summary(user=user, period="month", on=ledger.last_month.end)

    assert [(line["category"], line["spent"]) for line in result["by_category"]] == [
        (line.name, f"{line.spending:.2f}") for line in report.by_category
    ]
    assert result["total_spent"] == f"{report.totals.spending:.2f}" == "82.50"
    assert result["other_currencies"] == [{"currency": "EUR", "spent": "7.00"}]
    assert [other.currency for other in report.other_currencies] == ["EUR", "GBP"]
