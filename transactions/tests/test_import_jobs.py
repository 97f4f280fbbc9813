"""Large statement imports finish in a job (issue 16): the upload is stored in the database,
the API answers 202 with the job, and the job imports it in batches through the same steps
as the synchronous import, ending with the same counts, the same skipped rows and one
`transactions_imported` signal. A job is not run twice, and one whose worker died resumes."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from budgetpay.testing.factories import make_account
from budgetpay.testing.statements import IMPORT, import_report, post_csv
from transactions import import_jobs
from transactions.imports import IMPORT_BATCH_SIZE
from transactions.models import ImportJob, Transaction
from transactions.signals import transactions_imported

pytestmark = pytest.mark.django_db

ROWS = 2500  # above IMPORT_JOB_THRESHOLD_ROWS (2,000 lines by default), below its size threshold
HEADER = "Date,Description,Amount,Category\n"


def statement_line(i: int) -> str:
    """Line i of the big statement: expenses and some income; every 400th amount unreadable,
    every 250th a copy of the line before it (a second, identical row of the same file)."""
    if i % 400 == 399:
        return f"2026-01-{i % 28 + 1:02d},Broken {i},abc,Food\n"
    if i % 250 == 249:
        i -= 1
    if i % 10 == 0:
        return f"2026-01-{i % 28 + 1:02d},Salary part {i},{i + 1}.00,Salary\n"
    return f"2026-01-{i % 28 + 1:02d},Shop {i},-{i % 97 + 1}.{i % 100:02d},Food\n"


def big_statement(rows: int = ROWS) -> str:
    return HEADER + "".join(statement_line(i) for i in range(rows))


def sync_report(auth_client, account, content: str, settings, status: int = 201) -> dict:
    """What the synchronous import answers for `content` (the thresholds out of its way)."""
    settings.IMPORT_JOB_THRESHOLD_ROWS = 10**9
    settings.IMPORT_JOB_THRESHOLD_BYTES = 10**9
    try:
        return import_report(auth_client, account, content, status=status)
    finally:
        settings.IMPORT_JOB_THRESHOLD_ROWS = import_jobs.THRESHOLD_ROWS
        settings.IMPORT_JOB_THRESHOLD_BYTES = import_jobs.THRESHOLD_BYTES


@pytest.fixture
def imported_signals():
    """Each `transactions_imported` signal sent: (user id, count)."""
    sent: list[tuple[int, int]] = []

    def record(sender, user, count, **kwargs):
        sent.append((user.pk, count))

    transactions_imported.connect(record, dispatch_uid="test_import_jobs.record")
    yield sent
    transactions_imported.disconnect(dispatch_uid="test_import_jobs.record")


@pytest.fixture
def jobs_inline(settings):
    settings.JOBS_INLINE = True


def test_a_large_file_is_a_job_that_ends_with_the_synchronous_imports_counts(
    auth_client, user, main_account, settings, jobs_inline, django_capture_on_commit_callbacks, imported_signals
):
    card = make_account(user, name="Card")
    content = big_statement()
    for account in (card, main_account):  # the first 30 rows were imported before: duplicates
        import_report(auth_client, account, HEADER + "".join(statement_line(i) for i in range(30)))
    expected = sync_report(auth_client, card, content, settings)
    assert expected["duplicates"] == 30 and expected["created"] > 2000 and len(expected["errors"]) == 6
    imported_signals.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_csv(auth_client, main_account, content)
    assert response.status_code == 202, response.json()
    accepted = response.json()
    assert accepted["state"] == "queued"
    assert accepted["status_url"] == f"{IMPORT}/jobs/{accepted['id']}"
    assert response["Location"] == accepted["status_url"]

    job = auth_client.get(accepted["status_url"])
    assert job.status_code == 200
    body = job.json()
    assert body["state"] == "done"
    assert body["file_name"] == "statement.csv"
    assert body["account"] == main_account.pk
    assert (body["created"], body["duplicates"], body["errors"]) == (
        expected["created"],
        expected["duplicates"],
        expected["errors"],
    )
    assert body["total_rows"] == body["processed_rows"] == ROWS
    assert body["failure"] == {}
    assert body["finished_at"] is not None
    assert imported_signals == [(user.pk, expected["created"])]
    assert main_account.transactions.count() == card.transactions.count()
    assert bytes(ImportJob.objects.get().content) == b""  # the upload is dropped, the counts stay


def test_the_job_answers_with_a_trailing_slash_too(auth_client, main_account):
    job = import_jobs.import_job_create(
        user=main_account.user, account=main_account, file_name="s.csv", content=big_statement(5).encode()
    )
    assert auth_client.get(f"{IMPORT}/jobs/{job.pk}/").json()["state"] == "queued"


def test_a_file_that_is_not_a_statement_fails_the_job_with_the_synchronous_refusal(
    auth_client, main_account, settings, jobs_inline, django_capture_on_commit_callbacks
):
    content = 'Date,Description,Amount\n2026-01-01,"unterminated' + "x" * 300_000 + "\n"  # above 256 KiB
    refused = sync_report(auth_client, main_account, content, settings, status=400)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_csv(auth_client, main_account, content)
    assert response.status_code == 202
    body = auth_client.get(response.json()["status_url"]).json()
    assert body["state"] == "failed"
    assert body["failure"] == refused["errors"]
    assert "malformed" in body["failure"]["file"][0]
    assert (body["created"], body["processed_rows"], body["total_rows"]) == (0, 0, None)
    assert not Transaction.objects.exists()
    assert bytes(ImportJob.objects.get().content) == b""


def test_another_persons_job_is_404(auth_client, other_client, main_account):
    job = import_jobs.import_job_create(
        user=main_account.user, account=main_account, file_name="s.csv", content=big_statement(5).encode()
    )
    assert other_client.get(f"{IMPORT}/jobs/{job.pk}").status_code == 404
    assert auth_client.get(f"{IMPORT}/jobs/{job.pk + 1}").status_code == 404
    assert auth_client.get(f"{IMPORT}/jobs/{job.pk}").status_code == 200


def test_an_archived_account_is_refused_before_anything_is_stored(auth_client, user):
    archived = make_account(user, name="Closed", is_archived=True)
    refused = import_report(auth_client, archived, big_statement(), status=400)
    assert list(refused["errors"]) == ["account"]
    assert not ImportJob.objects.exists()


def test_a_dry_run_of_a_large_file_answers_at_once(auth_client, main_account):
    report = import_report(auth_client, main_account, big_statement(), status=200, dry_run="true")
    assert report["new"] > 2000 and report["created"] == 0
    assert not ImportJob.objects.exists() and not Transaction.objects.exists()


def test_the_size_threshold_alone_sends_a_file_to_a_job(auth_client, main_account, settings):
    settings.IMPORT_JOB_THRESHOLD_BYTES = 1024
    response = post_csv(auth_client, main_account, big_statement(100))  # 100 lines, ~4 KiB
    assert response.status_code == 202
    assert ImportJob.objects.get().state == ImportJob.State.QUEUED  # handed to the job engine once committed


def test_a_retried_upload_with_the_same_idempotency_key_makes_one_job(auth_client, main_account):
    def upload():
        file = SimpleUploadedFile("statement.csv", big_statement().encode(), content_type="text/csv")
        return auth_client.post(IMPORT, {"file": file, "account": main_account.pk}, HTTP_IDEMPOTENCY_KEY="import-once")

    first, again = upload(), upload()
    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert ImportJob.objects.count() == 1


def test_a_job_is_not_run_twice(main_account, imported_signals):
    job = import_jobs.import_job_create(
        user=main_account.user, account=main_account, file_name="s.csv", content=big_statement(50).encode()
    )
    # Running elsewhere with a fresh heartbeat: left alone.
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING, updated_at=timezone.now())
    assert import_jobs.import_run(job.pk) == "skipped"
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED)

    assert import_jobs.import_run(job.pk) == "done"
    created = Transaction.objects.count()
    assert import_jobs.import_run(job.pk) == "skipped"
    assert Transaction.objects.count() == created
    assert imported_signals == [(main_account.user_id, created)]


def test_a_job_whose_worker_died_resumes_after_its_last_batch(
    auth_client, user, main_account, settings, imported_signals
):
    """A batch commits its rows with the job's progress, so a dead worker leaves the rows of
    the batches it finished and a job that says so: another run goes on from there."""
    card = make_account(user, name="Card")
    expected = sync_report(auth_client, card, big_statement(), settings)
    # What a worker that died in its second batch left behind: the first batch's rows and counts.
    first_batch = HEADER + "".join(statement_line(i) for i in range(IMPORT_BATCH_SIZE))
    done = sync_report(auth_client, main_account, first_batch, settings)
    job = import_jobs.import_job_create(
        user=user, account=main_account, file_name="s.csv", content=big_statement().encode()
    )
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.RUNNING,
        claim="the-dead-worker",
        attempts=1,
        processed_rows=IMPORT_BATCH_SIZE,
        created=done["created"],
        errors=done["errors"],
        updated_at=timezone.now() - timedelta(seconds=import_jobs.STALE_SECONDS + 1),
    )
    imported_signals.clear()

    assert import_jobs.import_run(job.pk) == "done"

    job.refresh_from_db()
    assert (job.created, job.duplicates, job.errors) == (expected["created"], 0, expected["errors"])
    assert main_account.transactions.count() == card.transactions.count()
    assert imported_signals == [(user.pk, expected["created"])]


def test_running_a_job_again_from_the_start_inserts_nothing_twice(main_account):
    """Were a job's progress lost, a run from the first line would find every row it had
    added by its import hash (unique per person) and skip it as a duplicate."""
    content = big_statement(1500).encode()
    job = import_jobs.import_job_create(
        user=main_account.user, account=main_account, file_name="s.csv", content=content
    )
    assert import_jobs.import_run(job.pk) == "done"
    job.refresh_from_db()
    created = job.created
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.QUEUED, content=content, processed_rows=0, created=0, duplicates=0, errors=[]
    )
    assert import_jobs.import_run(job.pk) == "done"
    job.refresh_from_db()
    assert (job.created, job.duplicates) == (0, created)
    assert Transaction.objects.count() == created


def test_a_job_that_keeps_stopping_is_given_up(main_account):
    job = import_jobs.import_job_create(
        user=main_account.user, account=main_account, file_name="s.csv", content=big_statement(5).encode()
    )
    ImportJob.objects.filter(pk=job.pk).update(attempts=import_jobs.MAX_ATTEMPTS)
    assert import_jobs.import_run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert "stopped 3 times" in job.failure["non_field_errors"][0]
    assert not Transaction.objects.exists()


def test_a_job_whose_account_was_deleted_fails(user, main_account):
    empty = make_account(user, name="Empty")
    job = import_jobs.import_job_create(user=user, account=empty, file_name="s.csv", content=big_statement(5).encode())
    empty.delete()
    assert import_jobs.import_run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.failure == {"account": ["The account was deleted."]}


def test_the_sweep_finds_jobs_a_lost_doorbell_or_a_dead_worker_left(main_account, jobs_inline):
    waiting = import_jobs.import_job_create(
        user=main_account.user, account=main_account, file_name="a.csv", content=big_statement(5).encode()
    )
    fresh = import_jobs.import_job_create(
        user=main_account.user, account=main_account, file_name="b.csv", content=big_statement(5).encode()
    )
    long_ago = timezone.now() - timedelta(seconds=import_jobs.STALE_SECONDS + 1)
    ImportJob.objects.filter(pk=waiting.pk).update(updated_at=long_ago)

    assert import_jobs.import_jobs_sweep() == 1
    assert dict(ImportJob.objects.values_list("pk", "state")) == {
        waiting.pk: ImportJob.State.DONE,
        fresh.pk: ImportJob.State.QUEUED,
    }
