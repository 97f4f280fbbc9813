"""The chat REST API: conversations, sending messages, bad input, the daily limit, isolation."""

import pytest
from rest_framework.throttling import SimpleRateThrottle

from budgetpay.models import AIRequest
from budgetpay.testing.chat import CONVERSATIONS, MESSAGES, send
from chatbot.models import Conversation, Message, ProposedAction

pytestmark = pytest.mark.django_db


def test_conversations_are_created_listed_read_and_deleted(auth_client, ai_off, django_assert_max_num_queries):
    created = auth_client.post(CONVERSATIONS, {"title": "Groceries"}, format="json")
    assert created.status_code == 201 and created.json()["title"] == "Groceries"
    conversation = created.json()["id"]
    assert send(auth_client, "add 3.20 for coffee", conversation).status_code == 201
    in_conversation = auth_client.post(f"{CONVERSATIONS}/{conversation}/messages", {"content": "hi"}, format="json")
    assert in_conversation.status_code == 201
    send(auth_client, "a second conversation")

    with django_assert_max_num_queries(4):
        listing = auth_client.get(CONVERSATIONS)
    assert [row["title"] for row in listing.json()["results"]] == ["a second conversation", "Groceries"]

    with django_assert_max_num_queries(5):
        detail = auth_client.get(f"{CONVERSATIONS}/{conversation}")
    messages = detail.json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[1]["actions"][0]["status"] == "pending"

    assert auth_client.delete(f"{CONVERSATIONS}/{conversation}").status_code == 204
    assert auth_client.get(f"{CONVERSATIONS}/{conversation}").status_code == 404
    assert not Message.objects.filter(conversation_id=conversation).exists()
    assert not ProposedAction.objects.exists()


def test_sending_without_a_conversation_starts_one_named_after_the_message(auth_client, ai_off):
    body = send(auth_client, "  How much did I spend\non food this week?  ").json()
    conversation = Conversation.objects.get(pk=body["conversation"]["id"])
    assert conversation.title == "How much did I spend on food this week?"
    assert body["message"]["content"] == "How much did I spend\non food this week?"
    assert body["reply"]["conversation"] == conversation.pk


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "Write a message."),
        ({"content": ""}, "Write a message."),
        ({"content": "   \n "}, "Write a message."),
        ({"content": None}, "This field may not be null."),
        ({"content": ["hi"]}, "Not a valid string."),
        ({"content": "x" * 4001}, "at most 4000 characters"),
        ({"content": "x" * 100_000}, "at most 4000 characters"),
        ({"content": "hi", "conversation": "first"}, "A valid integer is required."),
    ],
)
def test_bad_messages_answer_400_naming_the_field(auth_client, user, ai_off, body, says):
    field = "conversation" if "conversation" in body else "content"
    paths = [MESSAGES]
    if field == "content":
        paths.append(f"{CONVERSATIONS}/{Conversation.objects.create(user=user).pk}/messages")
    for path in paths:
        response = auth_client.post(path, body, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["message"].startswith(f"{field}: ") and says in response.json()["message"]
        assert field in response.json()["errors"]
    assert not Message.objects.exists()


def test_an_oversized_body_answers_413(auth_client, ai_off):
    response = auth_client.post(MESSAGES, {"content": "x" * 600_000}, format="json")
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


def test_unknown_and_foreign_conversations_are_not_found(auth_client, other_client, ai_off):
    mine = send(auth_client, "hello").json()["conversation"]["id"]
    for client, conversation in ((auth_client, 999_999), (other_client, mine)):
        assert send(client, "hi", conversation).status_code == 404
        response = client.post(f"{CONVERSATIONS}/{conversation}/messages", {"content": "hi"}, format="json")
        assert response.status_code == 404
    assert other_client.get(f"{CONVERSATIONS}/{mine}").status_code == 404
    assert other_client.delete(f"{CONVERSATIONS}/{mine}").status_code == 404
    assert other_client.get(CONVERSATIONS).json()["count"] == 0
    assert auth_client.get(f"{CONVERSATIONS}/abc").status_code == 404
    assert auth_client.get(f"{CONVERSATIONS}/{10**30}").status_code == 404
    assert Message.objects.filter(conversation_id=mine).count() == 2


def test_the_api_needs_a_signed_in_user(api_client):
    assert api_client.get(CONVERSATIONS).status_code == 401
    assert send(api_client, "hi").status_code == 401


def test_sending_is_rate_limited_per_user(auth_client, ai_off, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "ai", "2/min")
    statuses = [send(auth_client, "hi").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]


def test_the_daily_limit_answers_429_with_retry_after_and_stores_nothing(auth_client, user, fake_openrouter, settings):
    settings.AI_DAILY_LIMIT = 1
    fake_openrouter.reply_text("First answer.")
    assert send(auth_client, "one").status_code == 201
    response = send(auth_client, "two")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    assert response.json()["code"] == "daily_limit_reached"
    assert "daily limit" in response.json()["message"]
    assert Message.objects.filter(conversation__user=user).count() == 2
    assert AIRequest.objects.count() == 1
