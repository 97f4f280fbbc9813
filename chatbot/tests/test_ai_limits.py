"""The AI limits (budgetpay.ai_limit) hold on every path into a model call.

The daily budget (AI_DAILY_LIMIT) is reserved per model call, atomically, in the gateway:
parallel messages cannot make more calls than the limit, a chat turn pays for each tool
round, and a call no model answered is given back. The per-minute rate (THROTTLE_AI) is
one bucket per person, shared by the REST API, the chat socket and the /chat/ page.
"""

import threading
import time
from functools import partial

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import connection, connections
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from budgetpay import llm
from budgetpay.models import AIDailyUsage
from budgetpay.testing.chat import chat, open_socket, receive, send
from budgetpay.testing.concurrency import each_at_once
from budgetpay.testing.people import client_for, page_client_for
from budgetpay.testing.services import REQUIRE_SERVICES
from chatbot.models import Conversation, Message, ProposedAction

HELLO = [{"role": "user", "content": "hello"}]


def used_today(user) -> int:
    return sum(AIDailyUsage.objects.filter(user=user).values_list("used", flat=True))


# --- The daily budget -----------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.skipif(
    connection.vendor != "postgresql" and not REQUIRE_SERVICES, reason="row locks: PostgreSQL (CI runs it there)"
)
@pytest.mark.django_db(transaction=True)
def test_twelve_parallel_messages_against_a_limit_of_five_make_five_model_calls(user, fake_openrouter, settings):
    assert connection.vendor == "postgresql"
    settings.AI_DAILY_LIMIT = 5
    for _ in range(12):
        # Each answer takes a moment, so every request is in flight before any is recorded.
        fake_openrouter.reply_slowly(0.3, "An answer.")
    clients = [client_for(user) for _ in range(12)]

    responses = each_at_once([partial(send, client, f"question {index}") for index, client in enumerate(clients)])
    statuses = [response.status_code for response in responses]

    assert len(fake_openrouter.calls) == 5
    assert sorted(statuses) == [201] * 5 + [429] * 7
    assert used_today(user) == 5
    # A refused turn leaves nothing behind: five conversations of a question and its answer.
    assert Conversation.objects.filter(user=user).count() == 5
    assert Message.objects.filter(conversation__user=user).count() == 10


@pytest.mark.django_db(transaction=True)
def test_a_call_in_flight_holds_its_reservation_and_gives_it_back_when_the_provider_fails(
    user, fake_openrouter, settings
):
    settings.AI_DAILY_LIMIT = 1
    settings.OPENROUTER_MODELS = ["only/model"]
    provider_answers = threading.Event()

    def slow_failure(body: dict) -> tuple:
        provider_answers.wait(10)
        return 503, {"error": {"message": "overloaded", "code": 503}}

    fake_openrouter.replies.append(slow_failure)
    outcome: list = []

    def first_call() -> None:
        try:
            llm.complete(user=user, purpose="test", messages=HELLO)
        except Exception as error:
            outcome.append(error)
        finally:
            connections.close_all()

    worker = threading.Thread(target=first_call)
    worker.start()
    deadline = time.monotonic() + 10
    while not fake_openrouter.calls and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(fake_openrouter.calls) == 1

    # The first call has not been answered: it holds the day's only unit.
    with pytest.raises(llm.DailyLimitReached) as refused:
        llm.complete(user=user, purpose="test", messages=HELLO)
    assert 0 < refused.value.retry_after <= 24 * 3600
    assert len(fake_openrouter.calls) == 1

    provider_answers.set()
    worker.join(timeout=20)
    assert [type(error) for error in outcome] == [llm.LLMUnavailable]
    assert used_today(user) == 0  # the 503 gave it back

    fake_openrouter.reply_text("Now it works.")
    assert llm.complete(user=user, purpose="test", messages=HELLO).content == "Now it works."
    assert used_today(user) == 1
    with pytest.raises(llm.DailyLimitReached):
        llm.complete(user=user, purpose="test", messages=HELLO)
    assert len(fake_openrouter.calls) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("trouble", ["500", "timeout"])
def test_a_message_the_provider_did_not_answer_costs_nothing_of_the_day(
    auth_client, user, ledger, fake_openrouter, settings, trouble
):
    settings.AI_DAILY_LIMIT = 1
    settings.OPENROUTER_TIMEOUT_SECONDS = 0.5
    for _ in settings.OPENROUTER_MODELS:
        if trouble == "timeout":
            fake_openrouter.reply_slowly(1.5)
        else:
            fake_openrouter.reply_error(500)
    failed = send(auth_client, "How much did I spend this month?")
    assert failed.status_code == 201
    assert failed.json()["reply"]["data"] == {"source": "rules", "reason": "provider_error"}
    assert used_today(user) == 0

    fake_openrouter.reply_text("You spent 99.00 USD.")
    answered = send(auth_client, "And now?")
    assert answered.status_code == 201 and answered.json()["reply"]["data"]["source"] == "ai"
    assert send(auth_client, "Once more?").status_code == 429


@pytest.mark.django_db
def test_a_chat_turn_reserves_each_tool_round_and_a_refused_round_undoes_the_turn(
    auth_client, user, ledger, fake_openrouter, settings
):
    settings.AI_DAILY_LIMIT = 1
    fake_openrouter.reply_tool_call("propose_transaction_change", {"operation": "delete", "match": "big shop"})
    fake_openrouter.reply_text("Confirm the deletion in the app.")

    response = send(auth_client, "Delete the big shop")

    assert response.status_code == 429
    assert response.json()["code"] == "daily_limit_reached"
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    assert len(fake_openrouter.calls) == 1  # the answer round found the day spent
    assert used_today(user) == 1
    assert not Conversation.objects.filter(user=user).exists()
    assert not ProposedAction.objects.filter(user=user).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_streamed_turn_on_the_socket_reserves_each_round_too(user, ledger, fake_openrouter, settings):
    settings.AI_DAILY_LIMIT = 1
    fake_openrouter.reply_tool_call("spending_summary", {"period": "this_month"}, content="Let me look.")
    fake_openrouter.reply_text("You spent 99.00 USD.")
    socket = await open_socket(user)
    await receive(socket)

    pieces, final = await chat(socket, "How much this month?")

    assert "".join(pieces) == "Let me look."  # the first round was streamed before the second was refused
    assert (final["type"], final["error"]) == ("error", "daily_limit") and final["retry_after"] > 0
    assert len(fake_openrouter.calls) == 1
    assert not await database_sync_to_async(Conversation.objects.filter(user=user).exists)()
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await socket.disconnect()


@pytest.mark.django_db
def test_a_refused_round_in_a_conversation_keeps_what_came_before(auth_client, user, ledger, fake_openrouter, settings):
    settings.AI_DAILY_LIMIT = 2
    fake_openrouter.reply_text("Hello!")
    conversation = send(auth_client, "Hi").json()["conversation"]["id"]
    fake_openrouter.reply_tool_call("spending_summary", {"period": "this_month"})

    response = send(auth_client, "How much this month?", conversation)

    assert response.status_code == 429
    kept = Message.objects.filter(conversation_id=conversation).values_list("role", "content")
    assert list(kept) == [("user", "Hi"), ("assistant", "Hello!")]


@pytest.mark.django_db
def test_ai_notifications_go_through_the_same_budget(auth_client, user, ledger, fake_openrouter, settings):
    settings.AI_DAILY_LIMIT = 1
    fake_openrouter.reply_text("Chat answer.")
    assert send(auth_client, "Hi").status_code == 201
    # The gateway itself refuses, for any caller that skips the check up front.
    with pytest.raises(llm.DailyLimitReached):
        llm.complete(user=user, purpose="insight:budget_insight", messages=HELLO)
    assert auth_client.post("/api/v1/notification/generate-budget-insight").status_code == 429
    assert len(fake_openrouter.calls) == 1


@pytest.mark.django_db
def test_without_a_key_rules_answer_and_use_no_budget(auth_client, user, ledger, ai_off, settings):
    settings.AI_DAILY_LIMIT = 1
    for question in ("How much did I spend this month?", "And last month?"):
        response = send(auth_client, question)
        assert response.status_code == 201
        assert response.json()["reply"]["data"] == {"source": "rules", "reason": "no_key"}
    assert used_today(user) == 0


# --- The per-minute rate --------------------------------------------------------------------


@pytest.fixture
def ten_a_minute(monkeypatch) -> None:
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "ai", "10/min")


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_socket_answers_the_eleventh_message_in_a_minute_with_rate_limited(user, ai_off, ten_a_minute):
    socket = await open_socket(user)
    await receive(socket)
    for index in range(10):
        _, final = await chat(socket, f"How much did I spend? ({index})")
        assert final["type"] == "message"

    pieces, refused = await chat(socket, "One more?")

    assert pieces == []
    assert refused["type"] == "error"
    assert refused["error"] == refused["code"] == "rate_limited"
    assert 0 < refused["retry_after"] <= 60
    assert "Too many messages" in refused["message"]
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}  # still open
    assert await database_sync_to_async(Message.objects.filter(conversation__user=user).count)() == 20
    await socket.disconnect()


@pytest.mark.django_db
def test_the_chat_page_answers_past_the_rate_with_429_and_says_why(user, ai_off, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "ai", "2/min")
    client = page_client_for(user)
    for _ in range(2):
        assert client.post("/chat/", {"content": "How much did I spend?"}).status_code == 302

    refused = client.post("/chat/", {"content": "And now?"})

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.context["form"].errors["content"][0].startswith("Too many messages to the assistant")
    assert "Too many messages to the assistant" in refused.content.decode()
    assert refused.context["form"]["content"].value() == "And now?"  # what was typed stays
    assert Conversation.objects.filter(user=user).count() == 2


@pytest.mark.django_db
def test_the_chat_page_shows_the_daily_limit(user, fake_openrouter, settings):
    settings.AI_DAILY_LIMIT = 0
    client = page_client_for(user)
    refused = client.post("/chat/", {"content": "Hi"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "daily limit" in refused.content.decode()
    assert fake_openrouter.calls == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_api_the_socket_and_the_page_count_in_one_bucket(user, ai_off, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "ai", "3/min")
    api = await sync_to_async(client_for)(user)
    page = Client()
    await sync_to_async(page.force_login)(user)
    socket = await open_socket(user)
    await receive(socket)

    assert (await sync_to_async(send)(api, "Spent this month?")).status_code == 201
    assert (await chat(socket, "Spent last month?"))[1]["type"] == "message"
    assert (await sync_to_async(page.post)("/chat/", {"content": "Spent this week?"})).status_code == 302

    assert (await sync_to_async(send)(api, "And today?")).status_code == 429
    assert (await chat(socket, "And today?"))[1]["code"] == "rate_limited"
    assert (await sync_to_async(page.post)("/chat/", {"content": "And today?"})).status_code == 429
    await socket.disconnect()
