"""The notifications' jobs (budgetpay.jobs runs them: Celery workers, or the process's own threads)."""

from celery import shared_task

from notifications import outbox


@shared_task(name="notifications.tasks.delivery_send", ignore_result=True)
def delivery_send(delivery_id: int, claim: str = "") -> str | None:
    return outbox.delivery_send(delivery_id, claim)


@shared_task(name="notifications.tasks.deliveries_sweep", ignore_result=True)
def deliveries_sweep() -> int:
    return outbox.deliveries_sweep()
