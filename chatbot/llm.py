"""The one gateway to the language model: OpenRouter through the openai SDK.

Every AI feature calls `complete()` or `stream()`. They try the configured
models in order, with the SDK's bounded retries (429, 5xx, timeouts) on each,
record the tokens per user, and raise `LLMUnavailable` when no key is set or
every model failed, so the caller answers from rules instead.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import openai
from django.conf import settings
from django.utils import timezone

from budgetpay.periods import user_today
from chatbot.models import AIRequest

logger = logging.getLogger(__name__)
T = TypeVar("T")


class LLMUnavailable(Exception):
    """No key is configured, or every model failed; use the rule-based answer."""


class DailyLimitReached(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"The daily limit of {settings.AI_DAILY_LIMIT} AI requests is reached; try again tomorrow.")


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


def _client() -> openai.OpenAI:
    return openai.OpenAI(
        api_key=settings.OPENROUTER_API_KEY,
        base_url=settings.OPENROUTER_BASE_URL,
        timeout=settings.OPENROUTER_TIMEOUT_SECONDS,
        max_retries=settings.OPENROUTER_MAX_RETRIES,
        default_headers={"X-Title": "Budget Pay"},
    )


def check_daily_limit(*, user) -> None:
    """Raise DailyLimitReached when the user spent today's AI requests (their own day)."""
    zone = ZoneInfo(user.timezone)
    today = user_today(user)
    start = datetime.combine(today, time.min, tzinfo=zone)
    used = AIRequest.objects.filter(user=user, created_at__gte=start, succeeded=True).count()
    if used >= settings.AI_DAILY_LIMIT:
        tomorrow = start + timedelta(days=1)
        raise DailyLimitReached(retry_after=max(1, int((tomorrow - timezone.now()).total_seconds())))


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


def _first_answer(*, user, purpose: str, request: Callable[[openai.OpenAI, str], T]) -> tuple[str, T]:
    """Run `request(client, model)` for each configured model in turn and return the
    first model that answers with its answer; LLMUnavailable when none does."""
    if not ai_enabled():
        _record(user, purpose, error="no key")
        raise LLMUnavailable("AI is off: OPENROUTER_API_KEY is not set.")
    client = _client()
    errors = []
    for model in settings.OPENROUTER_MODELS:
        try:
            return model, request(client, model)
        except (openai.OpenAIError, IndexError, AttributeError) as exc:
            logger.warning("model %s failed for %s: %s", model, purpose, exc.__class__.__name__)
            errors.append(f"{model}: {exc.__class__.__name__}")
    _record(user, purpose, error="; ".join(errors))
    raise LLMUnavailable("; ".join(errors))


def complete(
    *, user, purpose: str, messages: list[dict], tools: list[dict] | None = None, max_tokens: int | None = None
) -> Completion:
    """One chat completion; raises LLMUnavailable (after recording the attempt) on failure."""

    def request(client: openai.OpenAI, model: str):
        response = client.chat.completions.create(
            model=model,
            messages=messages,
            max_tokens=max_tokens or settings.OPENROUTER_MAX_TOKENS,
            **({"tools": tools} if tools else {}),
        )
        return response, response.choices[0]

    model, (response, choice) = _first_answer(user=user, purpose=purpose, request=request)
    _record(user, purpose, model=response.model or model, usage=response.usage)
    calls = [
        ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments or "")
        for call in (choice.message.tool_calls or [])
        if getattr(call, "function", None) is not None
    ]
    return Completion(model=response.model or model, content=choice.message.content or "", tool_calls=calls)


def stream(*, user, purpose: str, messages: list[dict], max_tokens: int | None = None) -> Iterator[str]:
    """Yield the reply's text as it arrives. Raises LLMUnavailable before the first
    token when no model answers; a stream cut off midway ends early."""

    def request(client: openai.OpenAI, model: str):
        return client.chat.completions.create(
            model=model,
            messages=messages,
            max_tokens=max_tokens or settings.OPENROUTER_MAX_TOKENS,
            stream=True,
            stream_options={"include_usage": True},
        )

    model, chunks = _first_answer(user=user, purpose=purpose, request=request)
    return _relay(user, purpose, model, chunks)


def _relay(user, purpose: str, model: str, chunks) -> Iterator[str]:
    usage = None
    try:
        for chunk in chunks:
            usage = chunk.usage or usage
            for choice in chunk.choices or []:
                if choice.delta and choice.delta.content:
                    yield choice.delta.content
    except openai.OpenAIError as exc:
        logger.warning("stream from %s broke off: %s", model, exc.__class__.__name__)
    finally:
        _record(user, purpose, model=model, usage=usage)
