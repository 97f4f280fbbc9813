"""The notifications' jobs (budgetpay.jobs runs them: Celery workers, or the process's own threads)."""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from budgetpay import jobs
from notifications import insights, outbox, schedule

logger = logging.getLogger(__name__)

DAILY_INSIGHTS_CHUNK = 200
MORNING_CHUNK = 200


@shared_task(name="notifications.tasks.deliveries_send", ignore_result=True)
def deliveries_send(items: list[list]) -> list[str | None]:
    """[[delivery id, claim], ...]: a notification's targets, or a share of a sweep's claims."""
    return outbox.deliveries_send(items)


@shared_task(name="notifications.tasks.delivery_send", ignore_result=True)
def delivery_send(delivery_id: int, claim: str = "") -> str | None:
    """One delivery (the messages queued before deliveries_send took over still run)."""
    return outbox.delivery_send(delivery_id, claim)


@shared_task(name="notifications.tasks.deliveries_sweep", ignore_result=True)
def deliveries_sweep() -> int:
    return outbox.deliveries_sweep()


@shared_task(name="notifications.tasks.daily_insights_fan_out", ignore_result=True)
def daily_insights_fan_out() -> list[int]:
    """The people with no insight yet for their own today, whatever their local time
    (`send_daily_insights --enqueue`; the schedule runs `morning_tick` instead), handed to
    `daily_insights_chunk` jobs of DAILY_INSIGHTS_CHUNK_SIZE ids each. Running it again, or
    while chunks still run, sends nobody a second one: each insight is keyed on the person's
    date (insights.daily_insight_key). Returns the chunks' sizes."""
    size = getattr(settings, "DAILY_INSIGHTS_CHUNK_SIZE", DAILY_INSIGHTS_CHUNK)
    return _enqueue_in_chunks(daily_insights_chunk, insights.daily_insights_due(), size)


@shared_task(name="notifications.tasks.daily_insights_chunk", ignore_result=True)
def daily_insights_chunk(user_ids: list[int]) -> tuple[int, int]:
    """Today's insight for each of these people: (sent, skipped)."""
    return insights.daily_insights_send(user_ids)


@shared_task(name="notifications.tasks.morning_tick", ignore_result=True)
def morning_tick() -> list[int]:
    """The schedule's entry (every 15 minutes): the people who have entered their morning
    window and not had today's run (schedule.morning_due), handed to `morning_chunk` jobs of
    MORNING_CHUNK_SIZE ids each. Running it again, or while chunks still run, sends nobody
    anything twice: each run is claimed by person and local date. Returns the chunks' sizes."""
    size = getattr(settings, "MORNING_CHUNK_SIZE", MORNING_CHUNK)
    return _enqueue_in_chunks(morning_chunk, schedule.morning_due(now=timezone.now()), size)


@shared_task(name="notifications.tasks.morning_chunk", ignore_result=True)
def morning_chunk(user_ids: list[int]) -> tuple[int, int]:
    """Each of these people's morning run: (ran, skipped). Skipped: already done today, gone,
    or failed (logged; the others still run)."""
    ran = skipped = 0
    for user_id in user_ids:
        try:
            done = schedule.morning_run(user_id=user_id, now=timezone.now())
        except Exception:
            logger.exception("the morning run of user %s failed", user_id)
            done = None
        if done is None:
            skipped += 1
        else:
            ran += 1
    return ran, skipped


def _enqueue_in_chunks(task, user_ids: list[int], size: int) -> list[int]:
    """One `task(chunk)` job per `size` ids; the chunks' sizes."""
    chunks = [user_ids[start : start + size] for start in range(0, len(user_ids), size)]
    for chunk in chunks:
        jobs.enqueue(task, chunk)
    return [len(chunk) for chunk in chunks]
