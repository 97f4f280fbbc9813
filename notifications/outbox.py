"""The delivery outbox: notifications on their way to people's devices and webhooks.

notify() writes one Delivery row per outside target in the transaction that stores the
notification (`deliveries_create`), and rings the job engine's doorbell after the commit
(`deliveries_ring`). A job (`deliveries_send`, one per notification's targets or per
RING_BATCH of a sweep's claims) claims each row, sends it through its
channel's sender (notifications.push, notifications.webhooks, notifications.email) and records the outcome:
sent, failed (tried again after DELIVERY_RETRY_DELAYS) or given up. The sweeper
(`deliveries_sweep`, every DELIVERY_SWEEP_SECONDS) claims rows that are due or whose
claim lapsed with FOR UPDATE SKIP LOCKED, so a lost job, a killed worker or a restarted
broker delays a delivery and never loses it. A claim is a token: a job sends only under
the claim it was given (or one it takes itself), so two jobs never send one row at once
while its claim holds.
"""

import logging
import operator
import random
import time
import uuid
from datetime import datetime, timedelta
from functools import reduce
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from budgetpay import jobs
from notifications import quiet_hours
from notifications.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliverySettings,
    EmailTiming,
    Notification,
    PushSubscription,
    Webhook,
)
from notifications.sending import SendResult

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
# Sends per job: one job per notification's targets (its device, webhook and email share one
# job's start-up, broker message and database connection), a sweep's claims in jobs this size.
RING_BATCH = 10
_RETRYABLE = (Delivery.State.PENDING, Delivery.State.FAILED)
DIGEST_BATCHES = (EmailTiming.DAILY, EmailTiming.WEEKLY)


def new_key() -> str:
    """A delivery's stable id (`webhook-id`, the push payload's `id`)."""
    return f"msg_{uuid.uuid4().hex}"


# The branches in this order: PostgreSQL types a UNION's column from its branches left to right,
# and a column of NULLs in the first two would be text, which a time or a jsonb cannot join.
_TARGETS_SQL = """
SELECT 'webhook', w.id, w.types, NULL, NULL, NULL FROM {webhook} w
    WHERE w.user_id = %(user_id)s AND w.is_active AND %(webhook)s
UNION ALL
SELECT 'quiet', NULL, NULL, d.quiet_hours_start, d.quiet_hours_end, u.timezone FROM {settings} d
    JOIN {user} u ON u.id = d.user_id
    WHERE d.user_id = %(user_id)s AND d.quiet_hours_start IS NOT NULL AND d.quiet_hours_end IS NOT NULL
UNION ALL
SELECT 'push', s.id, NULL, NULL, NULL, NULL FROM {push_subscription} s
    WHERE s.user_id = %(user_id)s AND %(push)s
"""


def _targets(*, user_id: int, push: bool, webhook: bool) -> tuple[list[int], list[tuple[int, list]], tuple | None]:
    """The person's devices (when `push`), active webhooks with their types (when `webhook`)
    and quiet hours (start, end, time zone; None when off), in one statement: it runs on every
    notification with an outside target, and building three ORM queries cost more CPU than
    PostgreSQL spends running this one."""
    sql = _TARGETS_SQL.format(
        push_subscription=PushSubscription._meta.db_table,
        webhook=Webhook._meta.db_table,
        settings=DeliverySettings._meta.db_table,
        user=get_user_model()._meta.db_table,
    )
    types_field = Webhook._meta.get_field("types")
    start_field = DeliverySettings._meta.get_field("quiet_hours_start")
    devices, hooks, quiet = [], [], None
    with connection.cursor() as cursor:
        cursor.execute(sql, {"user_id": user_id, "push": push, "webhook": webhook})
        for kind, target_id, types, start, end, zone in cursor.fetchall():
            if kind == "push":
                devices.append(target_id)
            elif kind == "webhook":
                hooks.append((target_id, types_field.from_db_value(types, None, connection) or []))
            else:  # SQLite answers a time as text
                quiet = (start_field.to_python(start), start_field.to_python(end), zone)
    return sorted(devices), sorted(hooks), quiet


def deliveries_create(
    *, notification: Notification, push: bool, webhook: bool, email: str | None = None, now: datetime | None = None
) -> list[int]:
    """One pending Delivery per device and per webhook that wants this notification, and one
    email when `email` names its timing (immediate, daily or weekly); call it inside the
    transaction that stores the notification. Returns the ids of the rows to send now: an
    email for a digest waits in its batch for the digest's job (notifications.email), and in
    the person's quiet hours (notifications.quiet_hours) pushes and an immediate email
    are held until their end. Two statements: the targets and the rows' INSERT."""
    user_id = notification.user_id
    now = now or timezone.now()
    devices, hooks, quiet = _targets(user_id=user_id, push=push, webhook=webhook)
    pushes = [
        Delivery(
            key=new_key(), notification=notification, user_id=user_id, channel=Channel.PUSH, push_subscription_id=id
        )
        for id in devices
    ]
    emails = []
    if email == EmailTiming.IMMEDIATE:
        emails.append(Delivery(key=new_key(), notification=notification, user_id=user_id, channel=Channel.EMAIL))
    elif email:
        # A digest's rows: its job sends them with the person's next daily or weekly email.
        emails.append(
            Delivery(key=new_key(), notification=notification, user_id=user_id, channel=Channel.EMAIL, batch=email)
        )
    held_until = None
    if quiet is not None and (pushes or email == EmailTiming.IMMEDIATE):
        start, end, zone = quiet
        held_until = quiet_hours.quiet_until(start=start, end=end, zone=ZoneInfo(zone), now=now)
    if held_until is not None:
        for row in pushes + emails:
            if not row.batch:
                row.batch, row.next_attempt_at = quiet_hours.QUIET, held_until
    webhooks = [
        Delivery(key=new_key(), notification=notification, user_id=user_id, channel=Channel.WEBHOOK, webhook_id=id)
        for id, types in hooks
        if not types or notification.type in types
    ]
    rows = pushes + webhooks + emails
    if not rows:
        return []
    Delivery.objects.bulk_create(rows)
    now_rows = [row for row in rows if not row.batch]
    if now_rows and now_rows[0].pk is None:  # a backend that returns no ids from a bulk INSERT
        return list(Delivery.objects.filter(key__in=[row.key for row in now_rows]).values_list("id", flat=True))
    return [row.pk for row in now_rows]


def deliveries_ring(ids: list[int]) -> None:
    """After the commit: a job for these new deliveries (one per RING_BATCH). Losing one only
    delays them (the sweeper)."""
    _hand_out([(delivery_id, "") for delivery_id in ids])


def _hand_out(items: list[tuple[int, str]]) -> None:
    from notifications import tasks

    for start in range(0, len(items), RING_BATCH):
        jobs.enqueue(tasks.deliveries_send, [list(item) for item in items[start : start + RING_BATCH]])


def deliveries_send(items: list[list]) -> list[str | None]:
    """A job's deliveries ([[id, claim], ...]; "" claims each as it is taken): the state each
    ended in, or None for one that was not this job's to send. The job claims them all in one
    statement, reads them in one, sends them one after another (a sender that raises is one
    failed try of its own row) and records the successes in one statement. If the database
    fails the job, its claimed rows wait for their lease to lapse and the sweeper sends them."""
    try:
        token, rows = _take([(int(delivery_id), str(claim)) for delivery_id, claim in items])
    except Exception:
        logger.exception("deliveries %s: not claimed in this job; the sweeper takes them", [i for i, _ in items])
        return [None] * len(items)
    results: dict[int, tuple[SendResult, int]] = {}
    for delivery in rows:
        started = time.monotonic()
        try:
            result = _refusal(delivery) or _sender(delivery.channel)(delivery)
        except Exception as exc:  # a sender's bug is one failed try, never a lost row
            logger.exception("delivery %s failed in its sender", delivery.key)
            result = SendResult(ok=False, error=f"{exc.__class__.__name__}: {exc}"[:500])
        results[delivery.pk] = (result, int((time.monotonic() - started) * 1000))
    try:
        states = _record(rows, token, results)
    except Exception:
        logger.exception("deliveries %s: sent, not recorded; the sweeper sends them again", [r.key for r in rows])
        return [None] * len(items)
    for delivery in rows:
        result = results[delivery.pk][0]
        if result.defer_seconds is None:  # a deferral was no try: it teaches nothing about the target
            try:
                _after(delivery, result)
            except Exception:
                logger.exception("delivery %s: its outcome was not applied to its target", delivery.key)
    return [states.get(int(delivery_id)) for delivery_id, _ in items]


def delivery_send(delivery_id: int, claim: str = "") -> str | None:
    """Send one delivery: under the sweeper's `claim`, or under one taken now. Returns the
    state it ended in, or None when it was not ours to send."""
    return deliveries_send([[delivery_id, claim]])[0]


def _lease() -> timedelta:
    return timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS)


def _claimable(now) -> Q:
    unlocked = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    due = Q(state__in=_RETRYABLE, next_attempt_at__lte=now, batch="") & unlocked
    # A digest's rows whose claim lapsed are the digest's to send again (notifications.email),
    # never this sweeper's one by one.
    lapsed = Q(state=Delivery.State.SENDING, locked_until__lt=now) & ~Q(batch__in=DIGEST_BATCHES)
    return due | lapsed


# A claim is a token with its stage in front: "q" while the row waits in the job queue (the
# sweeper claimed it), "s" once a job has started sending it. Only a start counts an attempt.
QUEUED, STARTED = "q", "s"


def _token(stage: str) -> str:
    return stage + uuid.uuid4().hex[:31]


def _take(items: list[tuple[int, str]]) -> tuple[str, list[Delivery]]:
    """Claim a job's rows under one token: an unclaimed row when it is due and free, a queued
    one under the sweeper's claim it came with (another job that started it first, or a row
    done meanwhile, is not taken). Returns the token and the rows taken, read with what
    their senders need."""
    now = timezone.now()
    token = _token(STARTED)
    started = {"state": Delivery.State.SENDING, "claim": token, "locked_until": now + _lease()}
    fresh = [delivery_id for delivery_id, claim in items if not claim]
    queued = [Q(pk=delivery_id, claim=claim) for delivery_id, claim in items if claim]
    taken = 0
    if fresh:
        taken += Delivery.objects.filter(_claimable(now), pk__in=fresh).update(**started, attempts=F("attempts") + 1)
    if queued:
        mine = Delivery.objects.filter(reduce(operator.or_, queued), state=Delivery.State.SENDING)
        taken += mine.update(**started, attempts=F("attempts") + 1)
    if not taken:
        return token, []
    rows = Delivery.objects.select_related("notification", "push_subscription", "webhook", "user").filter(
        pk__in=[delivery_id for delivery_id, _ in items], claim=token
    )
    return token, list(rows.order_by("pk"))


def deliveries_sweep(*, limit: int = SWEEP_BATCH) -> int:
    """Claim what is due or stuck and hand each to a job; returns how many. Beat (or the
    in-process scheduler) runs it every DELIVERY_SWEEP_SECONDS."""
    now = timezone.now()
    quiet_hours.release_due(now=now)  # what quiet hours held, due now, becomes one summary
    claimed: list[tuple[int, str]] = []
    with transaction.atomic():
        due = Delivery.objects.filter(_claimable(now)).order_by("next_attempt_at")
        rows = list(due.select_for_update(skip_locked=True).values_list("id", "state", "claim")[:limit])
        for delivery_id, state, claim in rows:
            # Still queued under an earlier sweep's claim (a long queue, or its job was lost with
            # the broker): the same claim rings again, so whichever job comes first sends it and
            # a long queue never sends a row to its back. Anything else gets a new claim.
            if not (state == Delivery.State.SENDING and claim.startswith(QUEUED)):
                claim = _token(QUEUED)
            Delivery.objects.filter(pk=delivery_id).update(
                state=Delivery.State.SENDING, claim=claim, locked_until=now + _lease()
            )
            claimed.append((delivery_id, claim))
    jobs.heartbeat("deliveries-sweep")
    _hand_out(claimed)
    return len(claimed)


def _sender(channel: str):
    from notifications import email, push, webhooks

    return {Channel.PUSH: push.send, Channel.WEBHOOK: webhooks.send, Channel.EMAIL: email.send}[channel]


def _after(delivery: Delivery, result: SendResult) -> None:
    """What a try teaches about its target: a webhook's run of failures, a device gone."""
    from notifications import push, webhooks

    if delivery.channel == Channel.WEBHOOK and delivery.webhook_id:
        # A success with no run of failures to clear (as the row was read) writes nothing.
        if not (result.ok and delivery.webhook and not delivery.webhook.consecutive_failures):
            webhooks.record_outcome(webhook_id=delivery.webhook_id, ok=result.ok)
    elif delivery.channel == Channel.PUSH and delivery.push_subscription_id:
        if result.gone:
            push.subscription_gone(subscription_id=delivery.push_subscription_id)
        elif result.ok and _stale(delivery.push_subscription):
            PushSubscription.objects.filter(pk=delivery.push_subscription_id).update(last_success_at=timezone.now())


LAST_SUCCESS_GRAIN = timedelta(minutes=1)


def _stale(subscription: PushSubscription | None) -> bool:
    """A device's "last success" is kept to the minute: a busy device writes it once a minute."""
    seen = subscription.last_success_at if subscription else None
    return seen is None or timezone.now() - seen >= LAST_SUCCESS_GRAIN


def _refusal(delivery: Delivery) -> SendResult | None:
    """A delivery whose target went away or was turned off is given up without a try."""
    if delivery.channel == Channel.PUSH and delivery.push_subscription is None:
        return SendResult(ok=False, error="The device's subscription was removed.", retry=False)
    if delivery.channel == Channel.WEBHOOK and (delivery.webhook is None or not delivery.webhook.is_active):
        return SendResult(ok=False, error="The webhook was deleted or turned off.", retry=False)
    return None


def retry_delay(attempts: int) -> float | None:
    """Seconds to wait after `attempts` failed tries (±10 %), or None: give up."""
    delays = settings.DELIVERY_RETRY_DELAYS
    if attempts > len(delays):
        return None
    return delays[attempts - 1] * random.uniform(0.9, 1.1)


def _record_tries_and_successes(
    tried: list[Delivery], sent: list[int], claim: str, now: datetime, results: dict[int, tuple[SendResult, int]]
) -> int:
    """A try for each row (one INSERT) and the successes (one UPDATE, under the claim): written
    as SQL, as they run after every job, and building them with the ORM (a bulk_create and a
    CASE per row) cost the worker more CPU than the database spends running them. Returns how
    many successes landed."""
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        if tried:
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(tried))
            params: list = []
            for row in tried:
                result, ms = results[row.pk]
                params += [row.pk, at, result.status_code, result.error[:500], ms]
            cursor.execute(
                f"INSERT INTO {DeliveryAttempt._meta.db_table} (delivery_id, at, status_code, error, duration_ms) "
                f"VALUES {values}",
                params,
            )
        if not sent:
            return 0
        # Cast: PostgreSQL types a CASE whose values are all NULL (email answers have no code) as text.
        whens = " ".join(["WHEN %s THEN %s"] * len(sent))
        codes = [value for pk in sent for value in (pk, results[pk][0].status_code)]
        cursor.execute(
            f"UPDATE {Delivery._meta.db_table} SET state = %s, sent_at = %s, claim = '', locked_until = NULL, "
            f"last_error = '', last_status_code = CAST(CASE id {whens} END AS integer) "
            f"WHERE claim = %s AND id IN ({', '.join(['%s'] * len(sent))})",
            [Delivery.State.SENT, at, *codes, claim, *sent],
        )
        return cursor.rowcount


def _record(rows: list[Delivery], claim: str, results: dict[int, tuple[SendResult, int]]) -> dict[int, str]:
    """Each row's outcome, under the job's claim: a try for each (one INSERT), the successes in
    one UPDATE, a failure or a deferral (rare: an outage) in one of its own. The states by id."""
    now = timezone.now()
    ours = Delivery.objects.filter(claim=claim)
    states: dict[int, str] = {}
    tried = [row for row in rows if results[row.pk][0].defer_seconds is None]
    sent = [row.pk for row in tried if results[row.pk][0].ok]
    landed = _record_tries_and_successes(tried, sent, claim, now, results)
    states.update(dict.fromkeys(sent, Delivery.State.SENT))
    for row in rows:
        result = results[row.pk][0]
        if result.ok:
            continue
        if result.defer_seconds is not None:  # not a try: back in the queue, its attempt returned
            landed += ours.filter(pk=row.pk).update(
                state=Delivery.State.PENDING,
                claim="",
                locked_until=None,
                attempts=F("attempts") - 1,
                next_attempt_at=now + timedelta(seconds=result.defer_seconds),
            )
            states[row.pk] = Delivery.State.PENDING
            continue
        fields = {"claim": "", "locked_until": None, "last_status_code": result.status_code}
        delay = retry_delay(row.attempts) if result.retry and not result.gone else None
        if delay is None:
            states[row.pk] = Delivery.State.GIVEN_UP
        else:
            states[row.pk] = Delivery.State.FAILED
            fields["next_attempt_at"] = now + timedelta(seconds=delay)
        landed += ours.filter(pk=row.pk).update(state=states[row.pk], last_error=result.error[:500], **fields)
    if landed < len(rows):
        logger.warning(
            "deliveries %s: a claim lapsed while sending; the next claim sends again",
            [row.key for row in rows],
        )
    return states


def delivery_resend(*, delivery: Delivery) -> None:
    """Send again now (staff's "resend", a person's retry): a fresh round of tries."""
    Delivery.objects.filter(pk=delivery.pk).update(
        state=Delivery.State.PENDING, attempts=0, next_attempt_at=timezone.now(), claim="", locked_until=None
    )
    transaction.on_commit(lambda: deliveries_ring([delivery.pk]))


def deliveries_give_up(*, webhook_id: int, reason: str) -> int:
    """Give up everything still waiting for a webhook (it was turned off)."""
    return Delivery.objects.filter(webhook_id=webhook_id, state__in=_RETRYABLE).update(
        state=Delivery.State.GIVEN_UP, last_error=reason[:500], claim="", locked_until=None
    )
