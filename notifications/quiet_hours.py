"""Quiet hours: a stretch of each day, in the person's own time zone, when nothing is pushed
to their devices and no email goes out at once (notifications.models.DeliverySettings:
quiet_hours_start/quiet_hours_end, both set: on; start after end: the stretch wraps midnight).

The outbox reads the person's quiet hours with the notification's targets and asks
`quiet_until()` when it writes its push and immediate-email rows (`hold()` is the same question
asked by user id): inside quiet hours they are written held (`batch="quiet"`, `next_attempt_at` the end), which the
sweeper leaves alone. At the end, `release_due()` (called by the sweeper) sends each device one
summary push of what was held, and folds the held immediate emails into the daily digest. The
notification itself, in the app and on the sockets, is never held.

A summary is a Delivery of its own (its key starts with SUMMARY_KEY_PREFIX, its notification
the latest one held), sent and retried by the outbox like any push; push.send asks
`is_summary()` and builds its payload with `summary_payload()`. The held push rows it stands
for end `sent` with `sent_at` empty (they never went out on their own, so the push rate limit
does not count them) and `last_error` naming the summary (`folded_note()`): what the admin
and the person's delivery list show.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications import push
from notifications.models import Channel, Delivery, DeliverySettings, EmailTiming, Notification

QUIET = "quiet"
DIGEST_BATCH = EmailTiming.DAILY
SUMMARY_KEY_PREFIX = "msg_quiet_"
# People a call of release_due() takes.
RELEASE_BATCH = 500
# How many titles a summary names before "and N more".
SUMMARY_TITLES = 5
SUMMARY_TYPE = "quiet_hours_summary"
BOTH_OR_NEITHER = "Set both the start and the end of your quiet hours, or neither to turn them off."
SAME_START_AND_END = "Quiet hours need a start and an end that differ."


# --- When --------------------------------------------------------------------------------------


def is_quiet(*, start: time, end: time, at: time) -> bool:
    """Whether the wall-clock time `at` lies in [start, end), wrapping midnight when start > end."""
    if start < end:
        return start <= at < end
    if start > end:
        return at >= start or at < end
    return False


def next_occurrence(*, wall: time, zone: ZoneInfo, after: datetime) -> datetime:
    """The first moment after `after` when the clocks of `zone` read `wall`, aware, in UTC (a
    time in a zone's repeated hour compares unequal to every other zone's, PEP 495).
    On the night the clocks go back a wall time happens twice (the later one counts when the
    earlier has passed); on the night they go forward one may not happen at all, and then the
    moment is read with the offset before the change (02:30 in a gap 02:00-03:00 is 03:30),
    as java.time and dateutil resolve it."""
    day = after.astimezone(zone).date()
    for offset in (0, 1, 2):
        first = datetime.combine(day + timedelta(days=offset), wall, tzinfo=zone)
        second = first.replace(fold=1)
        candidates = [first]
        if second.astimezone(UTC) > first.astimezone(UTC):  # a time that happens twice
            candidates.append(second)
        for moment in candidates:
            if moment > after:
                return moment.astimezone(UTC)
    raise AssertionError("a wall time occurs within two days")  # pragma: no cover


def quiet_until(*, start: time, end: time, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The end of the quiet hours `now` falls in (UTC); None when it is outside them."""
    if not is_quiet(start=start, end=end, at=now.astimezone(zone).time()):
        return None
    return next_occurrence(wall=end, zone=zone, after=now)


def hold(*, user_id: int, now: datetime) -> datetime | None:
    """When this person is in their quiet hours at `now`: the end of them (their local end time
    zone, as a UTC datetime), until which their pushes and immediate emails wait. None: send
    now. One query."""
    row = (
        DeliverySettings.objects.filter(user_id=user_id, quiet_hours_start__isnull=False, quiet_hours_end__isnull=False)
        .values_list("quiet_hours_start", "quiet_hours_end", "user__timezone")
        .first()
    )
    if row is None:
        return None
    start, end, zone_name = row
    return quiet_until(start=start, end=end, zone=ZoneInfo(zone_name), now=now)


# --- The person's choice -----------------------------------------------------------------------


def quiet_hours_of(*, user) -> tuple[time | None, time | None]:
    """(start, end) of the person's quiet hours; (None, None) when they are off."""
    row = DeliverySettings.objects.filter(user=user).values_list("quiet_hours_start", "quiet_hours_end").first()
    return row or (None, None)


@transaction.atomic
def quiet_hours_update(*, user, start: time | None, end: time | None) -> DeliverySettings:
    """Set the person's quiet hours (local wall times), or turn them off with both None.
    Turning them off lets what they held go at the next sweep; a change of hours leaves what
    is held waiting for the end it was held until."""
    if (start is None) != (end is None):
        raise ValidationError(BOTH_OR_NEITHER, code="both_or_neither")
    if start is not None and start == end:
        raise ValidationError(SAME_START_AND_END, code="same_start_and_end")
    settings, _ = DeliverySettings.objects.update_or_create(
        user=user, defaults={"quiet_hours_start": start, "quiet_hours_end": end}
    )
    if start is None:
        Delivery.objects.filter(user=user, batch=QUIET, state=Delivery.State.PENDING).update(
            next_attempt_at=timezone.now()
        )
    return settings


# --- The end of quiet hours --------------------------------------------------------------------


def summary_key() -> str:
    """A summary delivery's key: 40 characters, told apart from outbox.new_key()'s by its prefix."""
    return SUMMARY_KEY_PREFIX + uuid.uuid4().hex[:30]


def is_summary(delivery: Delivery) -> bool:
    return delivery.key.startswith(SUMMARY_KEY_PREFIX)


def folded_note(key: str) -> str:
    """What a held push row folded into a summary says in its last_error."""
    return f"Folded into the quiet-hours summary {key}."


def release_due(*, now: datetime, limit: int = RELEASE_BATCH) -> int:
    """Release what quiet hours held until `now` or before: per device, one summary push of the
    held ones (a single held push simply goes as itself); held immediate emails join the daily
    digest. At most `limit` people a call. A person is taken by locking their DeliverySettings
    row (FOR UPDATE SKIP LOCKED; held rows exist only for people with quiet hours), so two
    sweepers at once never split one person's night into two summaries nor release a row
    twice. Returns how many held rows it released."""
    from notifications import outbox  # the outbox imports this module

    due = Delivery.objects.filter(
        batch=QUIET,
        state=Delivery.State.PENDING,
        next_attempt_at__lte=now,
        channel__in=(Channel.PUSH, Channel.EMAIL),
    )
    with transaction.atomic():
        people = list(
            DeliverySettings.objects.filter(user_id__in=due.values("user_id"))
            .select_for_update(skip_locked=True)
            .order_by("user_id")
            .values_list("user_id", flat=True)[:limit]
        )
        rows = list(
            due.filter(user_id__in=people)
            .select_for_update()
            .order_by("user_id", "id")
            .values_list("id", "user_id", "channel", "push_subscription_id", "notification_id")
        )
        emails = [row[0] for row in rows if row[2] == Channel.EMAIL]
        by_device: dict[int | None, list[tuple[int, int]]] = defaultdict(list)
        for delivery_id, _user_id, channel, subscription_id, notification_id in rows:
            if channel == Channel.PUSH:
                by_device[subscription_id].append((delivery_id, notification_id))
        Delivery.objects.filter(pk__in=emails).update(batch=DIGEST_BATCH)
        to_send = _release_pushes(by_device, rows, now)
    transaction.on_commit(lambda: outbox.deliveries_ring(to_send))
    return len(rows)


def _release_pushes(by_device: dict[int | None, list[tuple[int, int]]], rows: list[tuple], now: datetime) -> list[int]:
    """Each device's held pushes as one summary (or, when only one, as itself); the ids to send."""
    user_of = {row[0]: row[1] for row in rows}
    to_send: list[int] = []
    summaries: list[Delivery] = []
    for subscription_id, held in by_device.items():
        ids = [delivery_id for delivery_id, _ in held]
        if subscription_id is None:  # the device went away while they waited
            Delivery.objects.filter(pk__in=ids).update(
                state=Delivery.State.GIVEN_UP, last_error="The device's subscription was removed."
            )
        elif len(held) == 1:
            Delivery.objects.filter(pk__in=ids).update(batch="", next_attempt_at=now)
            to_send += ids
        else:
            summary = Delivery(
                key=summary_key(),
                notification_id=max(notification_id for _, notification_id in held),
                user_id=user_of[ids[0]],
                channel=Channel.PUSH,
                push_subscription_id=subscription_id,
                next_attempt_at=now,
            )
            summaries.append(summary)
            Delivery.objects.filter(pk__in=ids).update(
                state=Delivery.State.SENT,
                sent_at=None,
                last_status_code=None,
                last_error=folded_note(summary.key),
            )
    if summaries:
        Delivery.objects.bulk_create(summaries)
        to_send += list(
            Delivery.objects.filter(key__in=[summary.key for summary in summaries]).values_list("id", flat=True)
        )
    return to_send


# --- What a summary says -----------------------------------------------------------------------


def summary_tag(user_id: int) -> str:
    """The summary push's `tag` and `Topic`: one per person, so a newer summary replaces an older
    one on a phone that was offline, and no push about one budget replaces a summary."""
    return push.b64url(hashlib.sha256(f"{user_id}:{SUMMARY_TYPE}".encode()).digest())[:32]


def summary_text(titles: list[str]) -> str:
    shown = titles[:SUMMARY_TITLES]
    text = ", ".join(shown)
    if len(titles) > len(shown):
        text += f" and {len(titles) - len(shown)} more"
    return text


def summary_payload(delivery: Delivery, *, hide_amounts: bool = False) -> dict[str, Any]:
    """The push a summary delivery carries: "3 notifications while you were in quiet hours" and
    their titles, oldest first (with `hide_amounts`, only what kind of thing each was)."""
    held = list(
        Delivery.objects.filter(
            user_id=delivery.user_id,
            channel=Channel.PUSH,
            batch=QUIET,
            state=Delivery.State.SENT,
            last_error=folded_note(delivery.key),
        )
        .order_by("notification_id")
        .values_list("notification__title", "notification__type")
    )
    payload = push.push_payload(delivery, hide_amounts=hide_amounts)
    if not held:  # their notifications were deleted meanwhile: the latest says itself
        return payload
    if hide_amounts:
        labels = dict(Notification.Type.choices)
        message = summary_text(list(dict.fromkeys(labels.get(type, type) for _, type in held)))
    else:
        message = summary_text([title for title, _ in held])
    count = len(held)
    return {
        **payload,
        "type": SUMMARY_TYPE,
        "title": f"{count} notification{'' if count == 1 else 's'} while you were in quiet hours",
        "message": message,
        "url": reverse("notifications:list"),
        "tag": summary_tag(delivery.user_id),
    }
