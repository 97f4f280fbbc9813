"""The one limiter in front of the language model: a per-minute rate and a daily budget.

**Per-minute rate** (`THROTTLE_AI`, e.g. "10/min"): every way a person sends the
assistant a message counts in one bucket per person. The REST endpoints count through
DRF's throttle (`UserRateThrottleForAI`, here); the chat socket and the page
without JavaScript call `rate_take()`, which runs that same throttle class, so they
share its cache key and its history: 10 a minute in all, not 10 per path.

**Daily budget** (`AI_DAILY_LIMIT`): every model call reserves one unit of the person's
day (their own timezone) before it is made, and gives it back when no model answered
(connection error, timeout, 429 or 5xx from the provider). The reservation is one
conditional UPDATE of a per-person, per-day counter row (`used < limit`): PostgreSQL
re-checks the condition after waiting for the row lock a concurrent reservation holds,
and SQLite runs one writer at a time, so N parallel callers against a limit of 5 make at
most 5 model calls. The counter is a model of the app that records AI use (the gateway
passes it in: the platform layer imports no domain app); it needs `user`, `day` and
`used` fields and one row per (user, day). A REST view lets DailyLimitReached through:
the API's exception handler (budgetpay.api) answers it, the same way for every view.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone
from rest_framework import throttling

from budgetpay.periods import user_today


class UserRateThrottleForAI(throttling.UserRateThrottle):
    """Per-user burst limit on the AI endpoints (the daily limit is counted apart)."""

    scope = "ai"


class RateLimited(Exception):
    """More messages to the assistant in the last minute than THROTTLE_AI allows."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"Too many messages to the assistant; try again in {retry_after} seconds.")


class DailyLimitReached(Exception):
    """Today's AI requests (AI_DAILY_LIMIT, the person's own day) are used up."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"The daily limit of {settings.AI_DAILY_LIMIT} AI requests is reached; try again tomorrow.")


def rate_take(*, user) -> None:
    """Count one message to the assistant in `user`'s per-minute bucket, the one the
    REST throttle counts in; RateLimited (with seconds to wait) when it is full."""
    throttle = UserRateThrottleForAI()
    # The throttle keys an authenticated request on its user alone (throttle_ai_<pk>);
    # a socket or a page has no DRF request, so it is given one that carries only that.
    if throttle.allow_request(SimpleNamespace(user=user), None):
        return
    wait = throttle.wait()
    raise RateLimited(retry_after=max(1, math.ceil(wait if wait is not None else throttle.duration)))


@dataclass(frozen=True)
class Reservation:
    """One model call's unit of a person's day; `DailyBudget.refund` gives it back."""

    user_id: int
    day: date


def seconds_until_tomorrow(user) -> int:
    """Seconds until midnight where the person lives, when their daily budget starts again."""
    zone = ZoneInfo(user.timezone)
    tomorrow = datetime.combine(user_today(user) + timedelta(days=1), time.min, tzinfo=zone)
    return max(1, math.ceil((tomorrow - timezone.now()).total_seconds()))


class DailyBudget:
    """AI_DAILY_LIMIT model calls per person and day, counted in `counter` rows."""

    def __init__(self, counter: type[models.Model]) -> None:
        self.counter = counter

    def check(self, *, user) -> None:
        """DailyLimitReached when today's budget is spent. Reserves nothing: a caller
        uses it to refuse before storing anything; the reservation is the real check."""
        used = self.counter.objects.filter(user=user, day=user_today(user)).values_list("used", flat=True).first()
        if (used or 0) >= settings.AI_DAILY_LIMIT:
            raise DailyLimitReached(retry_after=seconds_until_tomorrow(user))

    def reserve(self, *, user) -> Reservation:
        """Take one model call from today's budget, atomically, or raise DailyLimitReached."""
        day = user_today(user)
        if not self._take(user, day):
            # The day's first call: create its row (a concurrent first call may win that
            # race; either way there is one row) and take from it.
            self.counter.objects.bulk_create([self.counter(user=user, day=day)], ignore_conflicts=True)
            if not self._take(user, day):
                raise DailyLimitReached(retry_after=seconds_until_tomorrow(user))
        return Reservation(user_id=user.pk, day=day)

    def refund(self, reservation: Reservation) -> None:
        """Give back a reservation whose call got no answer from any model."""
        self.counter.objects.filter(user_id=reservation.user_id, day=reservation.day, used__gt=0).update(
            used=F("used") - 1
        )

    def _take(self, user, day: date) -> bool:
        # One statement: the condition and the increment cannot be split by another caller.
        limit = settings.AI_DAILY_LIMIT
        return bool(self.counter.objects.filter(user=user, day=day, used__lt=limit).update(used=F("used") + 1))
