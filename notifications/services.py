"""The one door for notifications: `notify()` stores the row and rings the
user's Channels group after the surrounding transaction commits."""

import logging
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from budgetpay.sockets import user_group
from notifications import outbox
from notifications.models import (
    Channel,
    Notification,
    NotificationPreference,
    PushSubscription,
    Webhook,
    channel_default,
    email_timing_default,
)
from notifications.selectors import notification_payload, unread_count

logger = logging.getLogger(__name__)
User = get_user_model()


def _push(user_id: int, message: dict[str, Any]) -> None:
    """Send to the user's sockets. Delivery is best effort: the row is already
    committed and a reconnecting client replays it, so a layer failure (Redis
    down) is logged and swallowed instead of failing the write that caused it."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(user_id), message)
    except Exception:
        logger.exception("notification push to user %s failed; the client will replay it", user_id)


def _push_unread_count_on_commit(user_id: int) -> None:
    transaction.on_commit(
        lambda: _push(user_id, {"type": "notification.unread_count", "unread_count": unread_count(user_id=user_id)})
    )


def type_enabled(*, user, type: str, channel: str = Channel.IN_APP) -> bool:
    preference = (
        NotificationPreference.objects.filter(user=user, type=type, channel=channel)
        .values_list("enabled", flat=True)
        .first()
    )
    return preference if preference is not None else channel_default(type, channel)


_LOCK_SQL = "SELECT 1 FROM {user} WHERE id = %(user_id)s FOR UPDATE"

_INBOX_SQL = """
SELECT
    (SELECT p.enabled FROM {preference} p WHERE p.user_id = %(user_id)s AND p.type = %(type)s
        AND p.channel = 'in_app'),
    (SELECT p.enabled FROM {preference} p WHERE p.user_id = %(user_id)s AND p.type = %(type)s
        AND p.channel = 'push'),
    (SELECT p.enabled FROM {preference} p WHERE p.user_id = %(user_id)s AND p.type = %(type)s
        AND p.channel = 'webhook'),
    (SELECT p.enabled FROM {preference} p WHERE p.user_id = %(user_id)s AND p.type = %(type)s
        AND p.channel = 'email'),
    (SELECT p.email_timing FROM {preference} p WHERE p.user_id = %(user_id)s AND p.type = %(type)s
        AND p.channel = 'email'),
    EXISTS (SELECT 1 FROM {push_subscription} s WHERE s.user_id = %(user_id)s),
    EXISTS (SELECT 1 FROM {webhook} w WHERE w.user_id = %(user_id)s AND w.is_active),
    EXISTS (SELECT 1 FROM {email_address} e WHERE e.user_id = %(user_id)s AND e.{primary} AND e.verified),
    EXISTS (SELECT 1 FROM {notification} n WHERE n.user_id = %(user_id)s AND n.dedupe_key = %(dedupe_key)s),
    COALESCE((SELECT MAX(n.id) FROM {notification} n WHERE n.user_id = %(user_id)s), 0),
    (SELECT COUNT(*) FROM {notification} n WHERE n.user_id = %(user_id)s AND NOT n.is_read),
    EXISTS (SELECT 1 FROM {user} u WHERE u.id = %(user_id)s)
"""


@dataclass(frozen=True)
class InboxState:
    """What notify() reads before it writes (one statement)."""

    chosen: dict[str, bool | None]  # channel -> the person's choice for this type (None: the default)
    email_timing: str  # the person's choice of when this type's emails go ("": the type's default)
    has_push: bool
    has_webhook: bool
    has_verified_email: bool
    duplicate: bool
    previous_id: int
    unread: int

    def channel_on(self, type: str, channel: str) -> bool:
        chosen = self.chosen[channel]
        return channel_default(type, channel) if chosen is None else chosen

    def email_batch(self, type: str) -> str | None:
        """None: no email; else the email's timing (immediate, daily or weekly)."""
        if not self.channel_on(type, Channel.EMAIL):
            return None
        return self.email_timing or email_timing_default(type)


def _lock_inbox(user_id: int) -> None:
    """Lock the user's row until the transaction ends: everything that changes what
    their inbox holds or how much of it is unread (notify(), marking read, deleting)
    takes this lock, so those writes commit one after another. A client resuming
    from the last id it saw can then never miss an earlier one, and the counts and
    ids read after the lock are exact at commit. (SQLite writes one at a time anyway.)"""
    if not connection.features.has_select_for_update:
        return
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL.format(user=User._meta.db_table), {"user_id": user_id})


def _inbox_state(*, user_id: int, type: str, dedupe_key: str) -> InboxState:
    """What notify() needs, in one round trip: the type's choices per channel (and when its
    emails go), whether the person has devices, webhooks and a verified address, whether
    `dedupe_key` was used, the latest id and the unread count. A statement of its own, after the lock: on PostgreSQL a statement sees
    the data as of its start, so reads made in the locking statement itself would miss a
    notification committed while it waited for the lock.

    Written as SQL because it runs on every write: building it with the ORM cost
    more CPU than PostgreSQL spends running it. Each subquery is served by an
    index (notif_user_id, notif_user_unread, the dedupe and preference unique
    constraints, and the user foreign keys of subscriptions, webhooks and email addresses)."""
    sql = _INBOX_SQL.format(
        preference=NotificationPreference._meta.db_table,
        notification=Notification._meta.db_table,
        push_subscription=PushSubscription._meta.db_table,
        webhook=Webhook._meta.db_table,
        email_address=EmailAddress._meta.db_table,
        primary=connection.ops.quote_name("primary"),
        user=User._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"type": type, "dedupe_key": dedupe_key or None, "user_id": user_id})
        (
            in_app,
            push,
            webhook,
            email,
            email_timing,
            has_push,
            has_webhook,
            has_verified_email,
            duplicate,
            previous_id,
            unread,
            user_exists,
        ) = cursor.fetchone()
    if not user_exists:
        raise User.DoesNotExist(f"User {user_id} is gone; nothing to notify.")
    chosen = {
        Channel.IN_APP: None if in_app is None else bool(in_app),
        Channel.PUSH: None if push is None else bool(push),
        Channel.WEBHOOK: None if webhook is None else bool(webhook),
        Channel.EMAIL: None if email is None else bool(email),
    }
    return InboxState(
        chosen,
        email_timing or "",
        bool(has_push),
        bool(has_webhook),
        bool(has_verified_email),
        bool(duplicate),
        previous_id,
        unread,
    )


def notify(
    *,
    user,
    type: str,
    title: str,
    message: str,
    level: str = Notification.Level.INFO,
    data: dict[str, Any] | None = None,
    related: models.Model | None = None,
    source: str = Notification.Source.RULE,
    dedupe_key: str = "",
    respect_preferences: bool = True,
) -> Notification | None:
    """Store a notification and push it once the transaction commits.

    Returns None when the user muted the type (unless they asked for this one:
    `respect_preferences=False`) or `dedupe_key` was already used (re-saving a
    row never notifies twice). A rolled-back transaction takes the row and the
    push with it. It is on every write path, so it costs three statements (the
    lock, one read, the INSERT) and nothing after the commit; inside a caller's
    transaction it joins it without a savepoint of its own, so an exception from
    it (the user is gone) fails the caller's transaction: let it propagate.
    """
    with transaction.atomic(savepoint=False):
        _lock_inbox(user.pk)
        state = _inbox_state(user_id=user.pk, type=type, dedupe_key=dedupe_key)
        in_app = not respect_preferences or state.channel_on(type, Channel.IN_APP)
        push = state.has_push and state.channel_on(type, Channel.PUSH)
        webhook = state.has_webhook and state.channel_on(type, Channel.WEBHOOK)
        # Only to a verified address (the preferences page says why nothing comes otherwise);
        # the sender asks again when it sends, in case the address changed meanwhile.
        email = state.email_batch(type) if state.has_verified_email else None
        if not (in_app or push or webhook or email) or state.duplicate:
            return None
        now = timezone.now()
        notification = Notification(
            user=user,
            type=type,
            level=level,
            title=title[:200],
            message=message[:2000],
            data=data or {},
            related_type=related._meta.model_name if related is not None else "",
            related_id=related.pk if related is not None else None,
            source=source,
            dedupe_key=dedupe_key,
            # Off in the app but on elsewhere: stored (a push links to it) as already read,
            # so it rings no bell and no socket.
            is_read=not in_app,
            read_at=None if in_app else now,
            created_at=now,
        )
        if connection.features.has_select_for_update:
            notification.save()  # the lock makes the dedupe check exact: no race left to catch
        else:
            # No row locks (SQLite): two writers may both have seen the key unused.
            try:
                with transaction.atomic():
                    notification.save()
            except IntegrityError:
                if dedupe_key and Notification.objects.filter(user=user, dedupe_key=dedupe_key).exists():
                    return None
                raise
        if push or webhook or email:
            delivery_ids = outbox.deliveries_create(
                notification=notification, push=push, webhook=webhook, email=email, now=now
            )
            if delivery_ids:
                transaction.on_commit(lambda: outbox.deliveries_ring(delivery_ids))
        if in_app:
            message_out = {
                "type": "notification.created",
                "notification": notification_payload(notification),
                # Sent along so a socket that missed a push (Redis blinked) sees the gap and replays it.
                "previous_id": state.previous_id,
                "unread_count": state.unread + 1,
            }
            transaction.on_commit(lambda: _push(user.pk, message_out))
    return notification


@transaction.atomic
def notification_mark_read(*, notification: Notification, is_read: bool = True) -> Notification:
    _lock_inbox(notification.user_id)
    if notification.is_read != is_read:
        notification.is_read = is_read
        notification.read_at = timezone.now() if is_read else None
        notification.save(update_fields=["is_read", "read_at"])
        _push_unread_count_on_commit(notification.user_id)
    return notification


@transaction.atomic
def notification_mark_all_read(*, user) -> int:
    """Mark every unread notification read; returns how many changed."""
    _lock_inbox(user.pk)
    marked = Notification.objects.filter(user=user, is_read=False).update(is_read=True, read_at=timezone.now())
    if marked:
        _push_unread_count_on_commit(user.pk)
    return marked


@transaction.atomic
def notification_delete(*, notification: Notification) -> None:
    _lock_inbox(notification.user_id)
    was_unread = not notification.is_read
    user_id = notification.user_id
    notification.delete()
    if was_unread:
        _push_unread_count_on_commit(user_id)


@transaction.atomic
def preferences_update(*, user, changes: dict[str, bool], channel: str = Channel.IN_APP) -> None:
    """Set this person's choices for one channel: `{type: on}`."""
    for type, enabled in changes.items():
        NotificationPreference.objects.update_or_create(
            user=user, type=type, channel=channel, defaults={"enabled": enabled}
        )


@transaction.atomic
def preference_matrix_update(*, user, changes: dict[str, dict[str, bool]]) -> None:
    """Set this person's choices: `{type: {channel: on}}`."""
    for type, channels in changes.items():
        for channel, enabled in channels.items():
            NotificationPreference.objects.update_or_create(
                user=user, type=type, channel=channel, defaults={"enabled": enabled}
            )


def broadcast(*, users, title: str, message: str, level: str = Notification.Level.INFO) -> int:
    """A staff announcement to each of `users`, each delivered live; returns how many were sent."""
    sent = 0
    for user in users:
        if notify(
            user=user,
            type=Notification.Type.ANNOUNCEMENT,
            title=title,
            message=message,
            level=level,
            source=Notification.Source.STAFF,
        ):
            sent += 1
    return sent
