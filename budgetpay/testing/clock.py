"""Time in tests: a frozen "now" the test can move, and calendar bounds computed here without
budgetpay.periods, so tests of the periods do not check the code against itself."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest


class Clock:
    """What django.utils.timezone.now() answers while frozen (user_today and auto_now read it)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def move_to(self, moment: datetime) -> None:
        self.now = moment


def freeze_now(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> Clock:
    """Make django.utils.timezone.now() answer `moment` until the test ends or the clock moves."""
    clock = Clock(moment)
    monkeypatch.setattr("django.utils.timezone.now", lambda: clock.now)
    return clock


def local_noon(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(zone))


def days(start: date, end: date) -> Iterator[date]:
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def week_bounds(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.isocalendar().weekday - 1)
    return monday, monday + timedelta(days=6)


def month_bounds(day: date) -> tuple[date, date]:
    """The calendar month containing `day`."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def year_bounds(day: date) -> tuple[date, date]:
    return date(day.year, 1, 1), date(day.year, 12, 31)


BOUNDS = {"week": week_bounds, "month": month_bounds, "year": year_bounds}
