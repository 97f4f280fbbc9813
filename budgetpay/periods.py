"""Calendar arithmetic in the user's own timezone. A week starts on Monday."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from django.utils import timezone

PeriodKind = Literal["week", "month", "year"]


def user_today(user, *, now: datetime | None = None) -> date:
    """Today's date where the user lives (not on the server)."""
    moment = now or timezone.now()
    return moment.astimezone(ZoneInfo(user.timezone)).date()


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def period_containing(kind: PeriodKind, day: date) -> Period:
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=6))
    if kind == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(day.replace(day=1), day.replace(day=last))
    if kind == "year":
        return Period(date(day.year, 1, 1), date(day.year, 12, 31))
    raise ValueError(f"unknown period {kind!r}")


def previous_period(kind: PeriodKind, period: Period) -> Period:
    return period_containing(kind, period.start - timedelta(days=1))


def next_period(kind: PeriodKind, period: Period) -> Period:
    return period_containing(kind, period.end + timedelta(days=1))
