"""Statement imports too large for a request, finished by a job (issue 16).

Above IMPORT_JOB_THRESHOLD_BYTES, or more lines than IMPORT_JOB_THRESHOLD_ROWS, the API
stores the upload in an ImportJob row (the database, so any worker on any machine can run
it) and answers 202; `import_run` (the job `transactions.tasks.import_run`) then imports it
through the same steps as the synchronous import (transactions.imports: the same parser,
checks and duplicate detection by import hash) in batches of IMPORT_BATCH_SIZE lines.

Each batch commits its rows together with the job's progress (lines processed, rows
created, duplicates, errors), so a job whose worker died resumes after the last batch that
committed, and its counts end as a single run's would. Running it again from the start
would be safe too: every row it committed is found by its import hash and skipped as a
duplicate (the hash is unique per person), so nothing is inserted twice. A job is claimed
with a token: a job that is done, failed, or running with a fresh heartbeat (its
`updated_at`, touched by every batch) is not run again, and a worker whose claim was taken
over stops at its next batch. `transactions_imported` is sent once, when the job ends.

After each batch the person's sockets that asked for `?progress=1` receive an
`import.progress` frame (notifications.consumers forwards it).
"""

import logging
import secrets
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from budgetpay import jobs
from budgetpay.sockets import user_group
from transactions.csv_import import RowError
from transactions.imports import (
    IMPORT_BATCH_SIZE,
    WHOLE_ROW,
    ConcurrentImport,
    check_import_account,
    import_plan,
    new_rows,
    rows_insert,
)
from transactions.models import Account, ImportJob, Transaction
from transactions.signals import transactions_imported

logger = logging.getLogger(__name__)

THRESHOLD_BYTES = 256 * 1024
THRESHOLD_ROWS = 2000
# A running job whose heartbeat is older than this is taken to have lost its worker.
STALE_SECONDS = 120.0
# Runs a job may start before it is given up (a file that kills its worker every time).
MAX_ATTEMPTS = 3
# Tries of a batch that met a concurrent import of the same rows (each sees that import's rows as duplicates).
BATCH_TRIES = 3


def needs_job(content: bytes) -> bool:
    """Whether an upload is imported by a job: above the size, or with more lines than the
    rows threshold (counted as line breaks: a quoted cell may hold one, which only ever
    sends a file to the job a little early)."""
    limit_bytes = getattr(settings, "IMPORT_JOB_THRESHOLD_BYTES", THRESHOLD_BYTES)
    limit_rows = getattr(settings, "IMPORT_JOB_THRESHOLD_ROWS", THRESHOLD_ROWS)
    return len(content) > limit_bytes or content.count(b"\n") > limit_rows


@transaction.atomic
def import_job_create(
    *,
    user,
    account: Account,
    file_name: str,
    content: bytes,
    mapping: dict[str, str] | None = None,
    date_format: str | None = None,
) -> ImportJob:
    """Store the upload as a queued job and hand it to the job engine once this commits."""
    check_import_account(user=user, account=account)
    job = ImportJob.objects.create(
        user=user,
        account=account,
        file_name=file_name[:255],
        content=content,
        options={"mapping": mapping, "date_format": date_format},
    )
    transaction.on_commit(lambda: _ring(job.pk))
    return job


def _ring(job_id: int) -> None:
    from transactions import tasks  # the task module imports this one

    jobs.enqueue(tasks.import_run, job_id)


def import_job_get(*, user, job_id: int) -> ImportJob:
    """One of the person's import jobs; ImportJob.DoesNotExist for anyone else's."""
    return ImportJob.objects.defer("content").get(pk=job_id, user=user)


class Superseded(Exception):
    """Another worker claimed the job (this one's heartbeat went stale)."""


def import_run(job_id: int) -> str:
    """Run an import job if it is not done and nobody is running it; returns what happened:
    "done", "failed", "skipped" (done, failed, or running elsewhere) or "superseded"."""
    claim = _claim(job_id)
    if claim is None:
        return "skipped"
    job = ImportJob.objects.select_related("user", "account").get(pk=job_id)
    if job.attempts > MAX_ATTEMPTS:
        return _fail(
            job,
            claim,
            {WHOLE_ROW: [f"The import stopped {MAX_ATTEMPTS} times before it ended; try a smaller file."]},
        )
    try:
        if job.account is None:
            raise ValidationError({"account": ["The account was deleted."]})
        check_import_account(user=job.user, account=job.account)
        plan = import_plan(
            user=job.user,
            account=job.account,
            content=bytes(job.content),
            mapping=job.options.get("mapping"),
            date_format=job.options.get("date_format"),
        )
    except ValidationError as exc:
        return _fail(job, claim, exc.message_dict)
    lines = plan.lines
    try:
        _progress(job, claim, total_rows=len(lines))
        for start in range(job.processed_rows, len(lines), IMPORT_BATCH_SIZE):
            job = _batch(job, claim, lines[start : start + IMPORT_BATCH_SIZE])
        _finish(job, claim)
    except Superseded:
        logger.info("import job %s was taken over by another worker; this one stops", job_id)
        return "superseded"
    except ConcurrentImport as exc:
        return _fail(job, claim, exc.message_dict)
    return "done"


def _claim(job_id: int) -> str | None:
    now = timezone.now()
    stale = now - timedelta(seconds=getattr(settings, "IMPORT_JOB_STALE_SECONDS", STALE_SECONDS))
    claim = secrets.token_hex(16)
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(Q(state=ImportJob.State.QUEUED) | Q(state=ImportJob.State.RUNNING, updated_at__lt=stale))
        .update(state=ImportJob.State.RUNNING, claim=claim, attempts=F("attempts") + 1, updated_at=now)
    )
    return claim if claimed else None


def _locked(job: ImportJob, claim: str) -> ImportJob:
    """The job's row, locked until the transaction ends; Superseded unless `claim` still runs it."""
    current = ImportJob.objects.select_for_update().defer("content").get(pk=job.pk)
    if current.claim != claim or current.state != ImportJob.State.RUNNING:
        raise Superseded
    return current


def _progress(job: ImportJob, claim: str, **fields) -> None:
    with transaction.atomic():
        current = _locked(job, claim)
        for name, value in fields.items():
            setattr(current, name, value)
        current.save(update_fields=[*fields, "updated_at"])
    _send_progress(current)


def _batch(job: ImportJob, claim: str, lines: list) -> ImportJob:
    """Insert one batch's new rows and record its progress in one transaction."""
    candidates = [line for line in lines if isinstance(line, tuple)]
    problems = [problem for line in lines if isinstance(line, list) for problem in line]
    for attempt in range(1, BATCH_TRIES + 1):
        try:
            with transaction.atomic():
                current = _locked(job, claim)
                new, _ = new_rows(user=job.user, candidates=candidates)
                rows_insert(new)
                current.processed_rows += len(lines)
                current.created += len(new)
                current.duplicates += len(candidates) - len(new)
                current.errors = [*current.errors, *_report_errors(problems)]
                current.save(update_fields=["processed_rows", "created", "duplicates", "errors", "updated_at"])
        except ConcurrentImport:
            if attempt == BATCH_TRIES:
                raise
            continue  # the other import's rows are committed now: this time they are duplicates
        break
    _send_progress(current)
    current.user, current.account = job.user, job.account
    return current


def _report_errors(problems: list[RowError]) -> list[dict]:
    """The problems as the import's report lists them (ImportReport.errors)."""
    lines: dict[int, dict[str, list[str]]] = {}
    for problem in problems:
        lines.setdefault(problem.line, {}).setdefault(problem.column or WHOLE_ROW, []).append(problem.message)
    return [{"row": line, "errors": by_column} for line, by_column in lines.items()]


def _finish(job: ImportJob, claim: str) -> None:
    with transaction.atomic():
        current = _locked(job, claim)
        _end(current, ImportJob.State.DONE)
        if current.created:
            transactions_imported.send(sender=Transaction, user=job.user, count=current.created)
    _send_progress(current)


def _fail(job: ImportJob, claim: str, failure: dict) -> str:
    try:
        with transaction.atomic():
            current = _locked(job, claim)
            current.failure = failure
            _end(current, ImportJob.State.FAILED)
    except Superseded:
        return "superseded"
    _send_progress(current)
    return "failed"


def _end(job: ImportJob, state: str) -> None:
    """Mark the job ended and drop the upload (the counts and errors stay)."""
    job.state = state
    job.finished_at = timezone.now()
    job.content = b""
    job.claim = ""
    job.save(update_fields=["state", "finished_at", "content", "claim", "failure", "updated_at"])


def import_jobs_sweep() -> int:
    """Hand the job engine again the jobs a lost doorbell or a dead worker left behind: queued
    ones not started within the stale time, running ones whose heartbeat went stale. Returns
    how many were rung."""
    stale = timezone.now() - timedelta(seconds=getattr(settings, "IMPORT_JOB_STALE_SECONDS", STALE_SECONDS))
    waiting = ImportJob.objects.filter(
        state__in=(ImportJob.State.QUEUED, ImportJob.State.RUNNING), updated_at__lt=stale
    ).values_list("pk", flat=True)
    rung = 0
    for job_id in waiting.iterator():
        _ring(job_id)
        rung += 1
    return rung


# --- Progress on the person's sockets ----------------------------------------------------------


def _send_progress(job: ImportJob) -> None:
    """Best effort, like every socket frame: the job's row is the truth, GET reads it."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {
        "type": "import.progress",
        "job_id": job.pk,
        "state": job.state,
        "processed": job.processed_rows,
        "total": job.total_rows,
    }
    try:
        async_to_sync(layer.group_send)(user_group(job.user_id), message)
    except Exception:
        logger.warning("progress of import job %s was not sent to the sockets", job.pk, exc_info=True)
