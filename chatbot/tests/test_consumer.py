"""The chat socket through the whole ASGI stack with channels' WebsocketCommunicator:
the answer streamed in pieces, the notification socket's authentication, errors as frames."""

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from budgetpay.testing.chat import chat, open_socket, receive
from chatbot.chat import MAX_REPLY_CHARS
from chatbot.models import Conversation, Message
from chatbot.services import conversation_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_an_answer_after_a_tool_round_is_streamed_token_by_token(user, ledger, fake_openrouter):
    fake_openrouter.reply_tool_call("spending_summary", {"period": "last_month", "category": "Groceries"})
    fake_openrouter.reply_text("You spent 52.50 USD on groceries last month.")
    socket = await open_socket(user)
    assert await receive(socket) == {"type": "ready", "data": {"ai": True}}

    pieces, final = await chat(socket, "How much did I spend on groceries last month?")

    assert len(pieces) > 3
    assert "".join(pieces) == "You spent 52.50 USD on groceries last month."
    assert final["type"] == "message"
    message = final["data"]
    assert message["role"] == "assistant" and message["content"] == "".join(pieces)
    assert message["data"] == {"source": "ai", "model": "openai/gpt-4o-mini"}
    planning, answer = fake_openrouter.calls
    assert "tools" in planning and answer.get("stream") is True
    assert json.loads(answer["messages"][-1]["content"])["total_spent"] == "52.50"
    stored = await database_sync_to_async(list)(Message.objects.filter(conversation_id=message["conversation"]))
    assert [m.role for m in stored] == ["user", "assistant", "tool", "assistant"]
    await socket.disconnect()


async def test_the_socket_runs_as_many_tool_rounds_as_the_model_needs(user, ledger, fake_openrouter):
    fake_openrouter.reply_tool_call("spending_summary", {"period": "last_month", "category": "Groceries"}, "call_a")
    fake_openrouter.reply_tool_call("budget_status", {}, "call_b")
    fake_openrouter.reply_text("Groceries were 52.50 USD last month; your budgets are listed in the app.")
    socket = await open_socket(user)
    await receive(socket)

    pieces, final = await chat(socket, "Groceries last month, and how are my budgets?")

    assert (
        "".join(pieces)
        == final["data"]["content"]
        == ("Groceries were 52.50 USD last month; your budgets are listed in the app.")
    )
    first, second, third = fake_openrouter.calls
    assert all(call.get("stream") is True and "tools" in call for call in (first, second, third))
    assert json.loads(second["messages"][-1]["content"])["total_spent"] == "52.50"
    assert second["messages"][-1]["tool_call_id"] == "call_a"
    assert (
        third["messages"][-1]["tool_call_id"] == "call_b" and third["messages"][-2]["tool_calls"][0]["id"] == "call_b"
    )
    stored = await database_sync_to_async(list)(Message.objects.filter(conversation_id=final["data"]["conversation"]))
    assert [m.role for m in stored] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert [m.data.get("name") for m in stored if m.role == "tool"] == ["spending_summary", "budget_status"]
    await socket.disconnect()


async def test_text_written_before_a_tool_call_is_part_of_the_stored_answer(user, ledger, fake_openrouter):
    fake_openrouter.reply_tool_call(
        "spending_summary", {"period": "last_month", "category": "Groceries"}, content="Let me look that up. "
    )
    fake_openrouter.reply_text("You spent 52.50 USD on groceries last month.")
    socket = await open_socket(user)
    await receive(socket)

    pieces, final = await chat(socket, "Groceries last month?")

    assert (
        "".join(pieces)
        == final["data"]["content"]
        == ("Let me look that up. You spent 52.50 USD on groceries last month.")
    )
    stored = await database_sync_to_async(list)(Message.objects.filter(conversation_id=final["data"]["conversation"]))
    asking = [m for m in stored if m.role == "assistant" and m.tool_calls]
    assert len(asking) == 1 and asking[0].content == ""  # shown once, in the answer
    await socket.disconnect()


async def test_one_length_bound_covers_every_round_of_a_streamed_answer(user, ledger, fake_openrouter):
    fake_openrouter.reply_tool_call("budget_status", {}, content="a" * 3000)
    fake_openrouter.reply_text("b" * 3000)
    socket = await open_socket(user)
    await receive(socket)
    pieces, final = await chat(socket, "Tell me everything")
    content = final["data"]["content"]
    assert "".join(pieces) == content
    assert len(content) == MAX_REPLY_CHARS and content.endswith("b…") and content.startswith("a" * 3000)
    await socket.disconnect()


async def test_a_direct_answer_and_the_rules_fallback_also_come_in_pieces(user, ledger, fake_openrouter, settings):
    fake_openrouter.reply_text("Hello! Ask me about your spending.")
    socket = await open_socket(user)
    await receive(socket)
    pieces, final = await chat(socket, "Hi")
    assert len(pieces) > 1 and "".join(pieces) == final["data"]["content"] == "Hello! Ask me about your spending."

    settings.OPENROUTER_API_KEY = ""
    pieces, final = await chat(socket, "How much did I spend on groceries last month?", final["data"]["conversation"])
    assert "".join(pieces) == final["data"]["content"]
    assert final["data"]["content"].startswith("AI is off") and "52.50" in final["data"]["content"]
    assert final["data"]["data"]["source"] == "rules"
    await socket.disconnect()


async def test_bad_frames_get_error_frames_and_the_socket_stays_open(user, other_user, ai_off):
    foreign = await database_sync_to_async(conversation_create)(user=other_user)
    socket = await open_socket(user)
    await receive(socket)
    cases = [
        ("not json", "invalid_json"),
        (json.dumps([1]), "invalid_message"),
        (json.dumps({"type": "dance"}), "unknown_type"),
        (json.dumps({"type": "message", "content": ""}), "invalid_content"),
        (json.dumps({"type": "message", "content": "x" * 4001}), "invalid_content"),
        (json.dumps({"type": "message", "content": "x" * 100_000}), "frame_too_large"),
        (json.dumps({"type": "message", "content": "hi", "conversation": "one"}), "invalid_conversation"),
        (json.dumps({"type": "message", "content": "hi", "conversation": 10**30}), "not_found"),
        (json.dumps({"type": "message", "content": "hi", "conversation": foreign.pk}), "not_found"),
    ]
    for text, error in cases:
        await socket.send_to(text_data=text)
        frame = await receive(socket)
        assert (frame["type"], frame["error"]) == ("error", error), text[:80]
        assert frame["message"]
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    assert await database_sync_to_async(Conversation.objects.filter(user=user).count)() == 0
    await socket.disconnect()


async def test_the_daily_limit_is_an_error_frame(user, fake_openrouter, settings):
    settings.AI_DAILY_LIMIT = 0
    socket = await open_socket(user)
    await receive(socket)
    pieces, frame = await chat(socket, "Hi")
    assert pieces == [] and frame["type"] == "error" and frame["error"] == "daily_limit"
    assert 0 < frame["retry_after"] <= 24 * 3600
    assert fake_openrouter.calls == []
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await socket.disconnect()


async def test_credentials_are_checked_like_the_notification_socket(user):
    for token, code in [("", 4001), ("garbage", 4001)]:
        socket = await open_socket(token=token)
        assert (await socket.receive_output(timeout=3))["code"] == code
    expired = AccessToken.for_user(user)
    expired.set_exp(from_time=timezone.now() - timedelta(hours=1), lifetime=timedelta(minutes=1))
    socket = await open_socket(token=str(expired))
    assert (await socket.receive_output(timeout=3))["code"] == 4002
    user.is_active = False
    await database_sync_to_async(user.save)()
    socket = await open_socket(user)
    assert (await socket.receive_output(timeout=3))["code"] == 4003
