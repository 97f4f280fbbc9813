"""The notifications' jobs (budgetpay.jobs runs them: Celery workers, or the process's own threads)."""

from celery import shared_task
from django.conf import settings

from budgetpay import jobs
from notifications import insights, outbox

DAILY_INSIGHTS_CHUNK = 200


@shared_task(name="notifications.tasks.delivery_send", ignore_result=True)
def delivery_send(delivery_id: int, claim: str = "") -> str | None:
    return outbox.delivery_send(delivery_id, claim)


@shared_task(name="notifications.tasks.deliveries_sweep", ignore_result=True)
def deliveries_sweep() -> int:
    return outbox.deliveries_sweep()


@shared_task(name="notifications.tasks.daily_insights_fan_out", ignore_result=True)
def daily_insights_fan_out() -> list[int]:
    """The schedule's entry (hourly): the people with no insight yet for their own today,
    handed to `daily_insights_chunk` jobs of DAILY_INSIGHTS_CHUNK_SIZE ids each. Running it
    again, or while chunks still run, sends nobody a second one: each insight is keyed on
    the person's date (insights.daily_insight_key). Returns the chunks' sizes."""
    size = getattr(settings, "DAILY_INSIGHTS_CHUNK_SIZE", DAILY_INSIGHTS_CHUNK)
    due = insights.daily_insights_due()
    chunks = [due[start : start + size] for start in range(0, len(due), size)]
    for chunk in chunks:
        jobs.enqueue(daily_insights_chunk, chunk)
    return [len(chunk) for chunk in chunks]


@shared_task(name="notifications.tasks.daily_insights_chunk", ignore_result=True)
def daily_insights_chunk(user_ids: list[int]) -> tuple[int, int]:
    """Today's insight for each of these people: (sent, skipped)."""
    return insights.daily_insights_send(user_ids)
