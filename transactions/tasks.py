"""The ledger's jobs (budgetpay.jobs runs them: Celery workers, or the process's own threads)."""

from celery import shared_task

from transactions import import_jobs


@shared_task(name="transactions.tasks.import_run", ignore_result=True)
def import_run(job_id: int) -> str:
    return import_jobs.import_run(job_id)


@shared_task(name="transactions.tasks.import_jobs_sweep", ignore_result=True)
def import_jobs_sweep() -> int:
    return import_jobs.import_jobs_sweep()
