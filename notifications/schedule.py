"""Alerts at the person's own morning: the clock, not a write, decides when they are due.

Every 15 minutes `notifications.tasks.morning_tick` asks `morning_due()` who has entered
their morning window and has not had today's run, and hands them to `morning_chunk` jobs,
which call `morning_run()` per person. The window is [MORNING_HOUR, MORNING_HOUR +
MORNING_WINDOW_HOURS) local time: the first tick in it picks a person up, and a later one
catches up after missed ticks (a restart, a broker down) until the window closes.

People are selected by time zone: the zones of active people are few, so each zone's local
time is computed once (zoneinfo, so half- and quarter-hour offsets and daylight saving
changes are the zone's own) and the people of the zones in the window are read per local
date (at one instant, Honolulu and Kiritimati share a wall clock a date apart).

A run is keyed by person and local date (`ScheduledRun`, unique): it is claimed before
anything is sent, so a second tick, a repeated job or two workers send nothing twice. Each
alert also carries a `dedupe_key` of its own (the insight per date, a goal deadline per
goal, a budget's pace per period, the summary per week), and all go through notify(), so
every channel, preference and quiet hour applies.
"""

import logging
import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from budgetpay.formatting import format_money
from budgetpay.money import ZERO
from budgetpay.periods import period_containing, user_today
from budgets.models import Budget
from budgets.selectors import ProjectionState, budget_statuses
from goals.selectors import GoalStatus, goal_list, goal_progress
from notifications import email, insights
from notifications.models import Notification, ScheduledRun
from notifications.services import notify
from transactions.reports import cashflow_totals, spending_by_category

logger = logging.getLogger(__name__)

MORNING = "morning"
MORNING_WINDOW_HOURS = 4
# A goal not yet reached is announced once this many days before its target date.
GOAL_DEADLINE_DAYS = 14
# The weekly summary names this many monthly budgets in its text (its data has them all).
SUMMARY_BUDGETS_SHOWN = 5


def morning_hour() -> int:
    return getattr(settings, "MORNING_HOUR", 7)


def _in_window(local: datetime) -> bool:
    minutes = local.hour * 60 + local.minute
    start = morning_hour() * 60
    return start <= minutes < min(start + MORNING_WINDOW_HOURS * 60, 24 * 60)


def zones_in_morning(*, now: datetime) -> dict[date, list[str]]:
    """The time zones of active people whose local time at `now` is in the morning window,
    by their local date."""
    User = get_user_model()
    zones = User.objects.filter(is_active=True).order_by("timezone").values_list("timezone", flat=True).distinct()
    by_date: dict[date, list[str]] = defaultdict(list)
    for zone in zones:
        try:
            local = now.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            logger.error("time zone %r of some people is unknown; their morning alerts wait for a fix", zone)
            continue
        if _in_window(local):
            by_date[local.date()].append(zone)
    return by_date


def morning_due(*, now: datetime) -> list[int]:
    """The ids of the active people in their morning window at `now` with no morning run yet
    for their local date, ascending: one query for the zones, one per local date among them."""
    User = get_user_model()
    due: list[int] = []
    for local_date, zones in zones_in_morning(now=now).items():
        done = ScheduledRun.objects.filter(user=OuterRef("pk"), kind=MORNING, local_date=local_date)
        people = User.objects.filter(is_active=True, timezone__in=zones).exclude(Exists(done))
        due.extend(people.values_list("pk", flat=True))
    return sorted(due)


def run_claim(*, user, kind: str, local_date: date, now: datetime) -> bool:
    """Record that `user`'s `kind` run of `local_date` is taken (at `now`); False when it already was."""
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(user=user, kind=kind, local_date=local_date, created_at=now)
    except IntegrityError:
        return False
    return True


def morning_run(*, user_id: int, now: datetime) -> list[Notification] | None:
    """`user_id`'s morning: today's insight, goal deadlines, budget pace, on Mondays the week's
    summary, then the email digests. None when the run was already done (or the person is
    gone); else what was stored. One alert failing is logged and does not stop the others
    (each is keyed, and the run is claimed first: a failed one waits for its next occasion)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    today = user_today(user, now=now)
    if not run_claim(user=user, kind=MORNING, local_date=today, now=now):
        return None
    alerts = [daily_insight, goal_deadlines, budget_pace]
    if today.weekday() == 0:
        alerts.append(weekly_summary)
    sent: list[Notification] = []
    for alert in alerts:
        try:
            sent.extend(alert(user=user, today=today))
        except Exception:
            logger.exception("the %s of user %s on %s failed", alert.__name__, user.pk, today)
    email_digests(user=user, today=today)
    return sent


def _money(amount: Decimal, user) -> str:
    return format_money(amount, user.currency, user.locale)


def daily_insight(*, user, today: date) -> list[Notification]:
    notification = insights.daily_insight_send(user=user, today=today)
    return [notification] if notification else []


def _in_days(days: int) -> str:
    return {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")


def goal_deadlines(*, user, today: date) -> list[Notification]:
    """Each goal not yet reached whose target date is at most GOAL_DEADLINE_DAYS away, once
    per goal and target date (moving the date announces the new one)."""
    sent = []
    horizon = today + timedelta(days=GOAL_DEADLINE_DAYS)
    for goal in goal_list(user=user).filter(target_date__range=(today, horizon)):
        progress = goal_progress(goal=goal, today=today)
        if progress.status == GoalStatus.ACHIEVED or progress.remaining <= ZERO:
            continue
        days = (goal.target_date - today).days
        due = f"{goal.name} is due {_in_days(days)}"
        notification = notify(
            user=user,
            type=Notification.Type.GOAL_DEADLINE,
            level=Notification.Level.WARNING,
            title=due,
            message=(
                f"{due} and is {_money(progress.remaining, user)} short: "
                f"{_money(progress.saved, user)} of {_money(goal.target_amount, user)} saved."
            ),
            data={
                "goal_id": goal.pk,
                "target_date": goal.target_date.isoformat(),
                "days_left": days,
                "saved": str(progress.saved),
                "target": str(goal.target_amount),
                "short": str(progress.remaining),
                "currency": user.currency,
            },
            related=goal,
            dedupe_key=f"goal:{goal.pk}:deadline:{goal.target_date.isoformat()}",
        )
        if notification:
            sent.append(notification)
    return sent


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _around(day: date, today: date) -> str:
    if (day.year, day.month) == (today.year, today.month):
        return f"the {_ordinal(day.day)}"
    return f"the {_ordinal(day.day)} of {day:%B}"


def budget_pace(*, user, today: date) -> list[Notification]:
    """Each budget whose projection (budgets.selectors.project_spending) passes what is
    available by the period's end while it is not used up yet: once per budget and period,
    the first morning the projection crosses. The day named is when the spending so far plus
    the daily pace from tomorrow on reaches the limit."""
    sent = []
    for status in budget_statuses(user=user, on=today):
        projection = status.projection
        if (
            projection.state != ProjectionState.PROJECTED
            or status.remaining <= ZERO
            or projection.spent <= status.available
            or projection.daily_pace <= ZERO  # rounded to nothing: no day to name
        ):
            continue
        days = math.ceil(status.remaining / projection.daily_pace)
        crossing = min(today + timedelta(days=days), status.period.end)
        name = str(status.budget)
        when = f"At this pace you will pass {name} around {_around(crossing, today)}"
        notification = notify(
            user=user,
            type=Notification.Type.BUDGET_PACE,
            level=Notification.Level.WARNING,
            title=when,
            message=(
                f"{when}: {_money(status.spent, user)} of {_money(status.available, user)} spent so far, "
                f"{_money(projection.spent, user)} by the end of the period."
            ),
            data={
                "budget_id": status.budget.pk,
                "period_start": status.period.start.isoformat(),
                "period_end": status.period.end.isoformat(),
                "spent": str(status.spent),
                "available": str(status.available),
                "projected": str(projection.spent),
                "crossing_date": crossing.isoformat(),
                "currency": user.currency,
            },
            related=status.budget,
            dedupe_key=f"budget:{status.budget.pk}:pace:{status.period.start.isoformat()}",
        )
        if notification:
            sent.append(notification)
    return sent


def weekly_summary(*, user, today: date) -> list[Notification]:
    """Last week's (Monday to Sunday, the person's dates) spending and its top category, and
    what is left now in each monthly budget; once per week."""
    week = period_containing("week", today - timedelta(days=7))
    spending = cashflow_totals(user=user, start=week.start, end=week.end).spending
    categories = spending_by_category(user=user, period=week)
    top = categories[0] if categories else None
    monthly = [s for s in budget_statuses(user=user, on=today) if s.budget.period == Budget.Period.MONTHLY]
    span = f"{week.start:%a} {week.start.day} {week.start:%b} to {week.end:%a} {week.end.day} {week.end:%b}"
    lines = [f"From {span} you spent {_money(spending, user)}."]
    if top is not None:
        lines.append(f"Most went on {top.name}: {_money(top.spending, user)}.")
    if monthly:
        left = ", ".join(f"{s.budget} {_money(s.remaining, user)}" for s in monthly[:SUMMARY_BUDGETS_SHOWN])
        more = len(monthly) - SUMMARY_BUDGETS_SHOWN
        lines.append(f"Left this month: {left}" + (f" and {more} more." if more > 0 else "."))
    notification = notify(
        user=user,
        type=Notification.Type.WEEKLY_SUMMARY,
        title=f"Your week: {_money(spending, user)} spent",
        message=" ".join(lines),
        data={
            "week_start": week.start.isoformat(),
            "week_end": week.end.isoformat(),
            "spending": str(spending),
            "top_category": None if top is None else {"name": top.name, "spending": str(top.spending)},
            "monthly_budgets": [
                {"budget_id": s.budget.pk, "name": str(s.budget), "remaining": str(s.remaining)} for s in monthly
            ],
            "currency": user.currency,
        },
        dedupe_key=f"weekly-summary:{week.start.isoformat()}",
    )
    return [notification] if notification else []


def email_digests(*, user, today: date) -> None:
    """The daily email digest every morning, the weekly one on Mondays (notifications.email
    decides who gets one and what it holds)."""
    for frequency in ("daily", "weekly") if today.weekday() == 0 else ("daily",):
        try:
            email.digest_send(user_id=user.pk, frequency=frequency, local_date=today)
        except Exception:
            logger.exception("the %s email digest of user %s on %s failed", frequency, user.pk, today)
