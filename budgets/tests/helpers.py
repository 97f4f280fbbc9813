"""Helpers shared by the budgets and goals tests."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from users.services import tokens_for_user


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=user)['access']}")
    return client


def freeze_now(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """Make django.utils.timezone.now() answer `moment` (user_today and auto_now read it)."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


def local_noon(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(zone))


@contextmanager
def rolled_back() -> Iterator[None]:
    """Undo every write made inside, so each hypothesis example starts from the same rows."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def days(start: date, end: date) -> Iterator[date]:
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def month_bounds(day: date) -> tuple[date, date]:
    """The calendar month containing `day`, computed without budgetpay.periods."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def week_bounds(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.isocalendar().weekday - 1)
    return monday, monday + timedelta(days=6)


def year_bounds(day: date) -> tuple[date, date]:
    return date(day.year, 1, 1), date(day.year, 12, 31)


BOUNDS = {"week": week_bounds, "month": month_bounds, "year": year_bounds}
