"""The delivery outbox without any real channel: notify() writes the rows in its own
transaction, the claim is a token, the sweeper finds what was lost, tries back off and
end in "given up"."""

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from budgetpay import jobs
from budgetpay.models import Heartbeat
from budgetpay.testing.concurrency import at_once
from budgetpay.testing.services import REQUIRE_SERVICES
from notifications import outbox, services
from notifications.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliverySettings,
    Notification,
    PushSubscription,
    Webhook,
)
from notifications.sending import SendResult

pytestmark = pytest.mark.django_db


def ring(user, **overrides):
    fields = {"user": user, "type": Notification.Type.BUDGET_EXCEEDED, "title": "Food is over", "message": "By 5.00."}
    return services.notify(**{**fields, **overrides})


def device(user, name: str = "a") -> PushSubscription:
    return PushSubscription.objects.create(
        user=user, endpoint=f"https://push.example.net/{user.pk}/{name}", p256dh="k", auth="a"
    )


def hook(user, **extra) -> Webhook:
    return Webhook.objects.create(user=user, url="https://hooks.example.net/in", secret="whsec_x", **extra)


class Channels:
    """Stands in for notifications.push/webhooks: answers what it is told, records what it got."""

    def __init__(self) -> None:
        self.answers: list[SendResult] = []
        self.sent: list[str] = []
        self.after: list[tuple[str, bool]] = []

    def send(self, delivery) -> SendResult:
        self.sent.append(delivery.key)
        return self.answers.pop(0) if self.answers else SendResult(ok=True, status_code=200)


@pytest.fixture
def channels(monkeypatch) -> Channels:
    fake = Channels()
    monkeypatch.setattr(outbox, "_sender", lambda channel: fake.send)
    monkeypatch.setattr(outbox, "_after", lambda delivery, result: fake.after.append((delivery.key, result.ok)))
    return fake


def test_notify_writes_one_delivery_per_device_and_wanting_webhook_in_its_transaction(user):
    device(user, "phone")
    device(user, "laptop")
    hook(user)
    hook(user, types=[Notification.Type.GOAL_ACHIEVED])  # does not want budget alerts
    hook(user, is_active=False)
    with pytest.raises(RuntimeError), transaction.atomic():
        ring(user)
        assert Delivery.objects.count() == 3
        raise RuntimeError("the write that caused it failed")
    assert not Delivery.objects.exists()  # gone with the notification

    notification = ring(user)
    rows = Delivery.objects.filter(notification=notification)
    assert sorted(rows.values_list("channel", flat=True)) == ["push", "push", "webhook"]
    assert {row.state for row in rows} == {Delivery.State.PENDING}
    assert len({row.key for row in rows}) == 3 and all(row.key.startswith("msg_") for row in rows)


def test_the_rows_are_written_in_two_statements_and_quiet_hours_hold_pushes_not_webhooks(
    user, monkeypatch, django_assert_num_queries
):
    """deliveries_create reads the devices, the active webhooks (with the types they want) and
    the quiet hours in one statement, then INSERTs; in quiet hours (Kathmandu, +05:45) the
    pushes wait for their local end and the webhook goes at once."""
    user.timezone = "Asia/Kathmandu"
    user.save(update_fields=["timezone"])
    DeliverySettings.objects.create(user=user, quiet_hours_start=time(22), quiet_hours_end=time(7, 30))
    device(user, "phone")
    device(user, "laptop")
    wanting = hook(user, types=[Notification.Type.BUDGET_EXCEEDED])
    hook(user, types=[Notification.Type.GOAL_ACHIEVED])
    hook(user, is_active=False)
    night = datetime(2025, 6, 10, 17, 0, tzinfo=UTC)  # 22:45 in Kathmandu
    notification = Notification.objects.create(user=user, type=Notification.Type.BUDGET_EXCEEDED, title="t")
    with django_assert_num_queries(2):
        ids = outbox.deliveries_create(notification=notification, push=True, webhook=True, now=night)
    rows = Delivery.objects.filter(notification=notification).order_by("channel", "pk")
    assert [(row.channel, row.batch) for row in rows] == [("push", "quiet"), ("push", "quiet"), ("webhook", "")]
    assert {row.next_attempt_at for row in rows if row.batch} == {datetime(2025, 6, 11, 1, 45, tzinfo=UTC)}
    assert rows.get(channel="webhook").webhook_id == wanting.pk
    assert ids == [rows.get(channel="webhook").pk]  # only what goes now is rung

    outside = datetime(2025, 6, 11, 6, 0, tzinfo=UTC)  # 11:45: nothing held; no push: only the webhook
    later = Notification.objects.create(user=user, type=Notification.Type.BUDGET_EXCEEDED, title="u")
    ids = outbox.deliveries_create(notification=later, push=False, webhook=True, now=outside)
    assert list(Delivery.objects.filter(notification=later).values_list("channel", "batch")) == [("webhook", "")]
    assert len(ids) == 1


def test_deliveries_follow_the_matrix_and_in_app_off_stores_the_row_as_read(user, monkeypatch):
    pushed = []
    monkeypatch.setattr(services, "_push", lambda user_id, message: pushed.append(message))
    device(user)
    # Insights: in the app, not on the phone (the defaults).
    ring(user, type=Notification.Type.BUDGET_INSIGHT, dedupe_key="i")
    assert not Delivery.objects.exists()
    services.preference_matrix_update(
        user=user, changes={Notification.Type.BUDGET_EXCEEDED: {Channel.IN_APP: False, Channel.PUSH: True}}
    )
    with transaction.atomic():
        quiet = ring(user)
    assert quiet is not None and quiet.is_read and quiet.read_at is not None
    assert Delivery.objects.filter(notification=quiet, channel=Channel.PUSH).count() == 1
    assert [m["notification"]["id"] for m in pushed if m["type"] == "notification.created"] != [quiet.id]
    # Every channel off: nothing stored at all.
    services.preference_matrix_update(user=user, changes={Notification.Type.BUDGET_EXCEEDED: {Channel.PUSH: False}})
    assert ring(user, dedupe_key="again") is None


def test_a_person_without_devices_or_webhooks_gets_no_delivery_rows(user):
    ring(user)
    assert not Delivery.objects.exists()


def test_a_rung_delivery_is_sent_once_and_logged(user, channels, settings, django_capture_on_commit_callbacks):
    settings.JOBS_INLINE = True
    device(user)
    with django_capture_on_commit_callbacks(execute=True):
        ring(user)
    delivery = Delivery.objects.get()
    assert channels.sent == [delivery.key]
    assert delivery.state == Delivery.State.SENT and delivery.attempts == 1 and delivery.sent_at is not None
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [200]
    # A second job for the same row (a duplicate doorbell) finds nothing to do.
    assert outbox.delivery_send(delivery.pk) is None
    assert channels.sent == [delivery.key]


def test_failures_back_off_then_give_up(user, channels, settings):
    settings.DELIVERY_RETRY_DELAYS = [5, 60]
    device(user)
    ring(user)
    delivery = Delivery.objects.get()
    channels.answers = [SendResult(ok=False, status_code=500, error="HTTP 500")] * 3

    assert outbox.delivery_send(delivery.pk) == Delivery.State.FAILED
    delivery.refresh_from_db()
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 3 < wait < 6  # 5 s ± 10 %
    assert outbox.delivery_send(delivery.pk) is None  # not due yet

    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert outbox.delivery_send(delivery.pk) == Delivery.State.FAILED
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert outbox.delivery_send(delivery.pk) == Delivery.State.GIVEN_UP
    delivery.refresh_from_db()
    assert delivery.attempts == 3 and delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
    assert delivery.attempt_log.count() == 3
    assert len(set(channels.sent)) == 1  # every try under the same key


def test_a_refusal_for_good_gives_up_at_once_and_a_deferral_is_not_a_try(user, channels):
    device(user)
    ring(user)
    ring(user, dedupe_key="second")
    first, second = Delivery.objects.order_by("id")
    channels.answers = [SendResult(ok=False, status_code=410, error="gone", retry=False, gone=True)]
    assert outbox.delivery_send(first.pk) == Delivery.State.GIVEN_UP

    channels.answers = [SendResult(ok=False, defer_seconds=30)]
    assert outbox.delivery_send(second.pk) == Delivery.State.PENDING
    second.refresh_from_db()
    assert second.attempts == 0 and second.attempt_log.count() == 0
    assert 25 < (second.next_attempt_at - timezone.now()).total_seconds() <= 30
    assert channels.after == [(first.key, False)]  # a deferral teaches nothing about the target


def test_a_deleted_device_gives_its_deliveries_up_without_a_try(user, channels):
    phone = device(user)
    ring(user)
    phone.delete()
    delivery = Delivery.objects.get()
    assert outbox.delivery_send(delivery.pk) == Delivery.State.GIVEN_UP
    assert channels.sent == []
    assert Delivery.objects.get().last_error == "The device's subscription was removed."


def handed_out(monkeypatch) -> list[tuple[int, str]]:
    """Every (delivery id, claim) handed to a deliveries_send job, in order."""
    handed: list[tuple[int, str]] = []

    def enqueue(task, items):
        assert task.name == "notifications.tasks.deliveries_send" and len(items) <= outbox.RING_BATCH
        handed.extend((delivery_id, claim) for delivery_id, claim in items)

    monkeypatch.setattr(jobs, "enqueue", enqueue)
    return handed


def test_the_sweeper_claims_what_is_due_or_stuck_and_hands_it_to_jobs(user, channels, settings, monkeypatch):
    handed = handed_out(monkeypatch)
    device(user)
    for key in "abcd":
        ring(user, dedupe_key=key)
    due, later, stuck, held = Delivery.objects.order_by("id")
    now = timezone.now()
    Delivery.objects.filter(pk=later.pk).update(state=Delivery.State.FAILED, next_attempt_at=now + timedelta(hours=1))
    # A worker claimed these and died (lapsed) or is still sending (held).
    Delivery.objects.filter(pk=stuck.pk).update(
        state=Delivery.State.SENDING, claim="dead", locked_until=now - timedelta(seconds=1), attempts=1
    )
    Delivery.objects.filter(pk=held.pk).update(
        state=Delivery.State.SENDING, claim="alive", locked_until=now + timedelta(minutes=1), attempts=1
    )

    assert outbox.deliveries_sweep() == 2
    assert sorted(delivery_id for delivery_id, _ in handed) == sorted([due.pk, stuck.pk])
    assert Heartbeat.objects.get(name="deliveries-sweep").at >= now

    # The job that got the sweeper's claim sends; the dead worker's claim sends nothing.
    tokens = dict(handed)
    assert outbox.delivery_send(stuck.pk, "dead") is None
    assert outbox.delivery_send(stuck.pk, tokens[stuck.pk]) == Delivery.State.SENT
    assert outbox.delivery_send(due.pk, tokens[due.pk]) == Delivery.State.SENT
    assert Delivery.objects.get(pk=stuck.pk).attempts == 2
    assert outbox.deliveries_sweep() == 0  # nothing left that is due


def test_a_row_whose_queued_claim_lapses_keeps_its_place_and_counts_only_the_try(user, channels, monkeypatch):
    """A queue longer than the claim: the sweeper rings the row again under the same claim,
    so the job already queued still sends it (not one at the back of the queue), the second
    job finds it taken, and only the start of a send counts as an attempt."""
    handed = handed_out(monkeypatch)
    device(user)
    ring(user)
    delivery = Delivery.objects.get()
    assert outbox.deliveries_sweep() == 1
    (first,) = handed
    Delivery.objects.filter(pk=delivery.pk).update(locked_until=timezone.now() - timedelta(seconds=1))

    assert outbox.deliveries_sweep() == 1  # its job is still queued: rung again
    second = handed[1]
    assert first == second  # the same claim
    assert Delivery.objects.get(pk=delivery.pk).attempts == 0  # claimed twice, not tried

    assert outbox.delivery_send(*first) == Delivery.State.SENT
    assert outbox.delivery_send(*second) is None  # taken by the first job
    sent = Delivery.objects.get(pk=delivery.pk)
    assert (sent.attempts, sent.attempt_log.count(), channels.sent) == (1, 1, [sent.key])


def test_resend_starts_a_fresh_round(user, channels, settings, django_capture_on_commit_callbacks):
    settings.DELIVERY_RETRY_DELAYS = []
    settings.JOBS_INLINE = True
    device(user)
    ring(user)
    delivery = Delivery.objects.get()
    channels.answers = [SendResult(ok=False, status_code=503, error="HTTP 503")]
    assert outbox.delivery_send(delivery.pk) == Delivery.State.GIVEN_UP
    with django_capture_on_commit_callbacks(execute=True):
        outbox.delivery_resend(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.SENT and delivery.attempts == 1
    assert channels.sent == [delivery.key, delivery.key]


def test_retry_delays_grow_to_about_a_day_and_then_stop(settings):
    delays = settings.DELIVERY_RETRY_DELAYS
    assert delays[0] <= 10 and delays == sorted(delays)
    assert 20 * 3600 <= sum(delays) <= 36 * 3600
    assert outbox.retry_delay(len(delays) + 1) is None


@pytest.mark.skipif(
    connection.vendor != "postgresql" and not REQUIRE_SERVICES, reason="SKIP LOCKED: PostgreSQL (CI runs it there)"
)
@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_claim_each_row_once(user, channels, monkeypatch):
    assert connection.vendor == "postgresql"
    handed: list[int] = []
    lock = threading.Lock()

    def enqueue(task, items):
        with lock:  # the sweepers' hand-overs (notify() rings each row too, unclaimed)
            handed.extend(delivery_id for delivery_id, claim in items if claim)

    monkeypatch.setattr(jobs, "enqueue", enqueue)
    for index in range(5):
        device(user, f"d{index}")
    for key in range(40):
        ring(user, dedupe_key=str(key))
    at_once(lambda: outbox.deliveries_sweep(limit=120))
    assert len(handed) == 200 and len(set(handed)) == 200


def test_a_notifications_targets_share_one_job_and_a_sweep_goes_out_in_jobs_of_ring_batch(
    user, channels, monkeypatch, django_capture_on_commit_callbacks
):
    jobs_rung: list[list] = []
    monkeypatch.setattr(jobs, "enqueue", lambda task, items: jobs_rung.append(items))
    device(user, "phone")
    device(user, "laptop")
    hook(user)
    with django_capture_on_commit_callbacks(execute=True):
        notification = ring(user)
    rows = sorted(Delivery.objects.filter(notification=notification).values_list("pk", flat=True))
    assert [sorted(i for i, _ in items) for items in jobs_rung] == [rows]  # one job, its three targets
    assert {claim for items in jobs_rung for _, claim in items} == {""}  # each claimed as it is sent

    jobs_rung.clear()
    for key in range(8):  # 24 more rows, 27 due in all: the sweep hands them out 10, 10 and 7
        ring(user, dedupe_key=str(key))
    assert outbox.deliveries_sweep() == 27
    assert [len(items) for items in jobs_rung] == [10, 10, 7]
    assert sorted(i for items in jobs_rung for i, _ in items) == sorted(Delivery.objects.values_list("pk", flat=True))


def test_a_job_claims_reads_and_records_its_rows_in_a_fixed_number_of_statements(
    user, channels, django_assert_num_queries
):
    for name in ("phone", "laptop", "tablet"):
        device(user, name)
    hook(user)
    ring(user)
    items = [[pk, ""] for pk in Delivery.objects.order_by("pk").values_list("pk", flat=True)]
    # An answer without a code (a mail server's) among them: its column is written NULL.
    channels.answers = [SendResult(ok=True, status_code=201)] * 2 + [
        SendResult(ok=True),
        SendResult(ok=True, status_code=204),
    ]
    # The claim, the read, the tries (one INSERT), the successes (one UPDATE): four rows or forty.
    with django_assert_num_queries(4):
        assert outbox.deliveries_send(items) == [Delivery.State.SENT] * 4
    rows = Delivery.objects.order_by("pk")
    assert [row.last_status_code for row in rows] == [201, 201, None, 204]
    assert {(row.claim, row.locked_until, row.attempts) for row in rows} == {("", None, 1)}
    assert DeliveryAttempt.objects.count() == 4


def test_a_job_the_database_fails_leaves_its_rows_to_the_lease_and_the_sweeper(user, channels, monkeypatch):
    device(user, "phone")
    device(user, "laptop")
    ring(user)
    first, second = Delivery.objects.order_by("pk")

    def database_gone(*args, **kwargs):
        raise RuntimeError("the connection was closed")

    monkeypatch.setattr(outbox, "_record", database_gone)
    assert outbox.deliveries_send([[first.pk, ""], [second.pk, ""]]) == [None, None]
    assert channels.sent == [first.key, second.key]
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.SENDING}
    monkeypatch.undo()
    monkeypatch.setattr(outbox, "_sender", lambda channel: channels.send)
    monkeypatch.setattr(outbox, "_after", lambda delivery, result: None)
    Delivery.objects.update(locked_until=timezone.now() - timedelta(seconds=1))  # the lease lapsed
    tokens = {}
    monkeypatch.setattr(outbox, "_hand_out", lambda claimed: tokens.update(claimed))
    assert outbox.deliveries_sweep() == 2
    assert outbox.deliveries_send([[pk, claim] for pk, claim in tokens.items()]) == [Delivery.State.SENT] * 2
    assert channels.sent == [first.key, second.key, first.key, second.key]  # at least once, never lost


def test_a_sender_that_raises_fails_its_own_row_and_the_rest_of_the_job_is_sent(user, channels, monkeypatch):
    device(user, "phone")
    device(user, "laptop")
    ring(user)
    first, second = Delivery.objects.order_by("pk")

    def broken_for_the_first(delivery):
        if delivery.pk == first.pk:
            raise KeyError("a bug")
        return channels.send(delivery)

    monkeypatch.setattr(outbox, "_sender", lambda channel: broken_for_the_first)
    assert outbox.deliveries_send([[first.pk, ""], [second.pk, ""]]) == [Delivery.State.FAILED, Delivery.State.SENT]
    assert Delivery.objects.get(pk=first.pk).last_error.startswith("KeyError")
    assert channels.sent == [second.key]


def test_a_busy_device_writes_its_last_success_once_a_minute(user):
    subscription = device(user)
    ring(user)

    def pushed() -> None:
        delivery = Delivery.objects.select_related("push_subscription").get()
        outbox._after(delivery, SendResult(ok=True, status_code=201))

    pushed()
    first = PushSubscription.objects.get(pk=subscription.pk).last_success_at
    assert first is not None
    pushed()  # seconds later: the minute's value stands
    assert PushSubscription.objects.get(pk=subscription.pk).last_success_at == first
    PushSubscription.objects.filter(pk=subscription.pk).update(last_success_at=first - timedelta(minutes=2))
    pushed()
    assert PushSubscription.objects.get(pk=subscription.pk).last_success_at > first
