"""The gateway through the real openai client against a local OpenRouter stand-in."""

import json

import pytest
from django.db import transaction

from budgetpay import llm
from budgetpay.models import AIRequest

pytestmark = pytest.mark.django_db

HELLO = [{"role": "user", "content": "hello"}]


def test_a_completion_records_model_and_tokens(user, fake_openrouter):
    fake_openrouter.reply_text("Hi there")
    completion = llm.complete(user=user, purpose="test", messages=HELLO)
    assert (completion.model, completion.content) == ("openai/gpt-4o-mini", "Hi there")
    call = fake_openrouter.calls[0]
    assert call["messages"] == HELLO and call["model"] == "openai/gpt-4o-mini"
    headers = {name.lower(): value for name, value in fake_openrouter.server.requests[0]["headers"].items()}
    assert headers["authorization"] == "Bearer sk-or-test"
    request = AIRequest.objects.get()
    assert (request.prompt_tokens, request.completion_tokens, request.succeeded) == (120, 30, True)


def test_a_failing_model_falls_back_to_the_next(user, fake_openrouter):
    fake_openrouter.reply_error(500)
    fake_openrouter.reply_text("from the fallback")
    completion = llm.complete(user=user, purpose="test", messages=HELLO)
    assert completion.model == "meta-llama/llama-3.1-8b-instruct"
    assert [c["model"] for c in fake_openrouter.calls] == ["openai/gpt-4o-mini", "meta-llama/llama-3.1-8b-instruct"]


@pytest.mark.parametrize("trouble", ["429", "500", "slow"])
def test_every_model_failing_raises_unavailable_within_the_timeout(user, fake_openrouter, trouble):
    import time

    for _ in range(2):
        if trouble == "slow":
            fake_openrouter.reply_slowly(4)
        else:
            fake_openrouter.reply_error(int(trouble))
    started = time.monotonic()
    with pytest.raises(llm.LLMUnavailable):
        llm.complete(user=user, purpose="test", messages=HELLO)
    assert time.monotonic() - started < 2 * 2.0 + 2
    assert AIRequest.objects.get().succeeded is False


def test_retries_on_429_are_bounded(user, fake_openrouter, settings):
    settings.OPENROUTER_MAX_RETRIES = 1
    settings.OPENROUTER_MODELS = ["only/model"]
    fake_openrouter.reply_error(429, times=5)
    with pytest.raises(llm.LLMUnavailable):
        llm.complete(user=user, purpose="test", messages=HELLO)
    assert len(fake_openrouter.calls) == 2


def test_no_key_means_unavailable_without_a_request(user, ai_off, fake_http_server):
    with pytest.raises(llm.LLMUnavailable):
        llm.complete(user=user, purpose="test", messages=HELLO)
    assert fake_http_server.requests == []


def test_streaming_yields_the_text_in_pieces(user, fake_openrouter):
    fake_openrouter.reply_text("Groceries took 41 % of your spending this month.")
    pieces = list(llm.stream(user=user, purpose="chat", messages=HELLO))
    assert len(pieces) > 3
    assert "".join(pieces) == "Groceries took 41 % of your spending this month."
    assert AIRequest.objects.get().completion_tokens == 20


def test_a_streamed_tool_call_is_put_together_from_its_pieces(user, fake_openrouter):
    arguments = {"period": "this_month", "category": "Groceries and household things"}
    fake_openrouter.reply_tool_call("spending_summary", arguments, "call_7")
    reply = llm.stream(
        user=user, purpose="chat", messages=HELLO, tools=[{"type": "function", "function": {"name": "x"}}]
    )
    assert list(reply) == []
    (call,) = reply.tool_calls
    assert (call.id, call.name, json.loads(call.arguments)) == ("call_7", "spending_summary", arguments)
    assert fake_openrouter.calls[0]["tools"] and fake_openrouter.calls[0]["stream"] is True
    assert AIRequest.objects.get().succeeded


def test_the_daily_limit_counts_successful_requests(user, fake_openrouter, settings):
    settings.AI_DAILY_LIMIT = 2
    for _ in range(2):
        llm.check_daily_limit(user=user)
        llm.complete(user=user, purpose="test", messages=HELLO)
    with pytest.raises(llm.DailyLimitReached) as reached:
        llm.check_daily_limit(user=user)
    assert 0 < reached.value.retry_after <= 24 * 3600


@pytest.mark.django_db(transaction=True)
def test_the_database_connection_is_given_back_while_the_model_thinks(user, fake_openrouter, monkeypatch):
    from django.db import connection

    seen = []
    monkeypatch.setattr(connection, "close", lambda: seen.append(len(fake_openrouter.calls)))
    llm.complete(user=user, purpose="test", messages=HELLO)
    assert seen == [0]  # closed once, before the request went out
    with transaction.atomic():  # inside a transaction it must stay
        llm.complete(user=user, purpose="test", messages=HELLO)
    assert seen == [0]
