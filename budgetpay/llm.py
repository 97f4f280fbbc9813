"""The one gateway to the language model: OpenRouter through the openai SDK.

Every AI feature calls `complete()` or `stream()`. Each call first reserves one
model call of the user's daily budget (budgetpay.ai_limit; DailyLimitReached when it
is spent), so every caller, the chat and the AI notifications alike, is held to
AI_DAILY_LIMIT however many run at once. They try the configured models in order,
with the SDK's bounded retries (429, 5xx, timeouts) on each, record the tokens per
user, and raise `LLMUnavailable` when no key is set or every model failed, so the
caller answers from rules instead; a call no model answered gives its reservation back.
A caller a person waits on, with a rules answer to fall back on, passes `tight_patience()`:
one model, one try, a short timeout.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from django.conf import settings
from django.db import connection

from budgetpay import ai_limit
from budgetpay.models import AIDailyUsage, AIRequest

logger = logging.getLogger(__name__)
T = TypeVar("T")


class LLMUnavailable(Exception):
    """No key is configured, or every model failed; use the rule-based answer."""


DailyLimitReached = ai_limit.DailyLimitReached
DAILY_BUDGET = ai_limit.DailyBudget(counter=AIDailyUsage)


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass
class Completion:
    model: str
    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)


def ai_enabled() -> bool:
    return bool(settings.OPENROUTER_API_KEY)


@dataclass(frozen=True)
class Patience:
    """How long a call may wait on the provider: the timeout of each request, the SDK's
    retries per model, and how many of the configured models it tries (None: all)."""

    timeout: float
    max_retries: int
    models: int | None = None


def default_patience() -> Patience:
    return Patience(timeout=settings.OPENROUTER_TIMEOUT_SECONDS, max_retries=settings.OPENROUTER_MAX_RETRIES)


def tight_patience() -> Patience:
    """For an answer a person waits for in a request that has a rules answer to fall back on:
    one model, one try, and OPENROUTER_INSIGHT_TIMEOUT_SECONDS (never more than the usual timeout)."""
    timeout = min(getattr(settings, "OPENROUTER_INSIGHT_TIMEOUT_SECONDS", 8.0), settings.OPENROUTER_TIMEOUT_SECONDS)
    return Patience(timeout=timeout, max_retries=0, models=1)


def _client(patience: Patience) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=settings.OPENROUTER_API_KEY,
        base_url=settings.OPENROUTER_BASE_URL,
        timeout=patience.timeout,
        max_retries=patience.max_retries,
        default_headers={"X-Title": "Budget Pay"},
    )


def check_daily_limit(*, user) -> None:
    """Raise DailyLimitReached when the user spent today's AI requests (their own day).
    Reserves nothing: callers use it to refuse before they store anything; each model
    call still reserves its own unit in `_first_answer`."""
    DAILY_BUDGET.check(user=user)


def _record(user, purpose: str, model: str = "", usage: Any = None, error: str = "") -> None:
    AIRequest.objects.create(
        user=user,
        purpose=purpose,
        model=model,
        prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
        completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
        succeeded=bool(model) and not error,
        error=error[:200],
    )


def _release_database_connection() -> None:
    """A model answers in seconds; a database connection held through that wait is a
    pool slot (DB_POOL_MAX_SIZE per process) no other request can use. Outside a
    transaction, give it back: the next query takes one again."""
    if not connection.in_atomic_block:
        connection.close()


def _first_answer(
    *, user, purpose: str, request: Callable[[openai.OpenAI, str], T], patience: Patience | None = None
) -> tuple[str, T]:
    """Reserve one call of the user's daily budget, run `request(client, model)` for each
    configured model in turn (as many as `patience` allows) and return the first model that
    answers with its answer.
    DailyLimitReached when the budget is spent (no request is made); LLMUnavailable when
    no model answers, and then the reservation is given back: a call the provider never
    answered (connection error, timeout, 429, 5xx) costs nothing of the day."""
    if not ai_enabled():
        _record(user, purpose, error="no key")
        raise LLMUnavailable("AI is off: OPENROUTER_API_KEY is not set.")
    reservation = DAILY_BUDGET.reserve(user=user)
    answered = False
    try:
        patience = patience or default_patience()
        client = _client(patience)
        _release_database_connection()
        errors = []
        for model in settings.OPENROUTER_MODELS[: patience.models]:
            try:
                answer = request(client, model)
            except (openai.OpenAIError, IndexError, AttributeError) as exc:
                logger.warning("model %s failed for %s: %s", model, purpose, exc.__class__.__name__)
                errors.append(f"{model}: {exc.__class__.__name__}")
            else:
                answered = True
                return model, answer
        _record(user, purpose, error="; ".join(errors))
        raise LLMUnavailable("; ".join(errors))
    finally:
        if not answered:
            DAILY_BUDGET.refund(reservation)


def complete(
    *,
    user,
    purpose: str,
    messages: list[dict],
    tools: list[dict] | None = None,
    max_tokens: int | None = None,
    patience: Patience | None = None,
) -> Completion:
    """One chat completion; raises LLMUnavailable (after recording the attempt) on failure.
    `patience` bounds the wait (default: the configured timeout, retries and every model)."""

    def request(client: openai.OpenAI, model: str):
        response = client.chat.completions.create(
            model=model,
            messages=messages,
            max_tokens=max_tokens or settings.OPENROUTER_MAX_TOKENS,
            **({"tools": tools} if tools else {}),
        )
        return response, response.choices[0]

    model, (response, choice) = _first_answer(user=user, purpose=purpose, request=request, patience=patience)
    _record(user, purpose, model=response.model or model, usage=response.usage)
    calls = [
        ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments or "")
        for call in (choice.message.tool_calls or [])
        if getattr(call, "function", None) is not None
    ]
    return Completion(model=response.model or model, content=choice.message.content or "", tool_calls=calls)


def stream(
    *, user, purpose: str, messages: list[dict], tools: list[dict] | None = None, max_tokens: int | None = None
) -> "StreamedReply":
    """The reply as it arrives: iterate it for the text; once it is exhausted,
    `tool_calls` holds the calls the model asked for (their pieces arrive spread
    over the stream). Raises LLMUnavailable before the first token when no model
    answers; a stream cut off midway ends early."""

    def request(client: openai.OpenAI, model: str):
        return client.chat.completions.create(
            model=model,
            messages=messages,
            max_tokens=max_tokens or settings.OPENROUTER_MAX_TOKENS,
            stream=True,
            stream_options={"include_usage": True},
            **({"tools": tools} if tools else {}),
        )

    model, chunks = _first_answer(user=user, purpose=purpose, request=request)
    return StreamedReply(user, purpose, model, chunks)


class StreamedReply:
    def __init__(self, user, purpose: str, model: str, chunks) -> None:
        self.model = model
        self._calls: dict[int, dict[str, str]] = {}
        self._pieces = self._relay(user, purpose, chunks)

    def __iter__(self) -> Iterator[str]:
        return self._pieces

    def close(self) -> None:
        """Stop reading; the request is recorded either way."""
        self._pieces.close()

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [
            ToolCall(id=call["id"], name=call["name"], arguments=call["arguments"])
            for _, call in sorted(self._calls.items())
            if call["name"]
        ]

    def _relay(self, user, purpose: str, chunks) -> Iterator[str]:
        usage = None
        try:
            for chunk in chunks:
                usage = chunk.usage or usage
                self.model = chunk.model or self.model
                for choice in chunk.choices or []:
                    if not choice.delta:
                        continue
                    for delta in choice.delta.tool_calls or []:
                        self._add_call_piece(delta)
                    if choice.delta.content:
                        yield choice.delta.content
        except openai.OpenAIError as exc:
            logger.warning("stream from %s broke off: %s", self.model, exc.__class__.__name__)
        finally:
            _record(user, purpose, model=self.model, usage=usage)

    def _add_call_piece(self, delta) -> None:
        call = self._calls.setdefault(delta.index or 0, {"id": "", "name": "", "arguments": ""})
        call["id"] = delta.id or call["id"]
        if delta.function is not None:
            call["name"] += delta.function.name or ""
            call["arguments"] += delta.function.arguments or ""
