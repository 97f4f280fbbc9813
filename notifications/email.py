"""Email: the email channel's sender for notifications.outbox, the daily and weekly digests, and
the signed one-click unsubscribe links they carry.

A notification's email row (Delivery, channel email) names no address: it goes to the person's
primary address when it is sent, and only when allauth has it verified; otherwise the row is
given up saying so and nothing is sent. Mail goes through Django's email backend (EMAIL_URL),
as HTML with a plain-text part, from templates/notifications/email/. Its `Message-ID` is built
from the delivery's key (`<msg_…@domain>`), so a resend after a crash is recognisably the same
message. Each email carries `List-Unsubscribe` and `List-Unsubscribe-Post:
List-Unsubscribe=One-Click` (RFC 8058) and a visible link: a signed token per person and type(s)
that turns those types' email off without signing in (notifications.pages.email_unsubscribe_page).

Immediate emails are capped at EMAIL_IMMEDIATE_MAX_PER_HOUR a person: past it, `send()` moves
the row into the daily digest (never drops it). The cap counts what was sent, so two workers
sending at the same moment may let one more through; it is a courtesy, not a quota.

A digest (`digest_send`) is one email with every waiting row of a person's daily or weekly
batch, claimed as the outbox claims (FOR UPDATE SKIP LOCKED, a claim token and a lease), so two
runs never send the same rows and a second run finds nothing left.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from notifications import outbox, services
from notifications.delivery_settings import email_hides_amounts
from notifications.models import Channel, Delivery, DeliveryAttempt, DeliverySettings, EmailTiming, Notification
from notifications.sending import SendResult
from notifications.templatetags.notification_tags import related_url

logger = logging.getLogger(__name__)

NOT_VERIFIED = "The address is not verified: nothing was sent. Verify it under Account → Email to receive emails."
HIDDEN_MESSAGE = "Open Budget Pay to see the details."
HOUR = timedelta(hours=1)
DIGESTS = (EmailTiming.DAILY, EmailTiming.WEEKLY)
# A digest carries at most this many notifications (the rest wait for the next one) and shows
# this many of them in full; the others are counted.
DIGEST_MAX_ROWS = 500
DIGEST_SHOWN = 50
UNSUBSCRIBE_SALT = "notifications.email.unsubscribe"
# A token names a person and at most every type: far shorter than this. Longer input is refused
# before it is decoded.
MAX_TOKEN_CHARS = 1000
_RETRYABLE = (Delivery.State.PENDING, Delivery.State.FAILED)


# --- Addresses, links and ids -------------------------------------------------------------------


def verified_address(*, user_id: int) -> str | None:
    """The person's primary address when allauth has it verified; None otherwise."""
    return (
        EmailAddress.objects.filter(user_id=user_id, primary=True, verified=True)
        .values_list("email", flat=True)
        .first()
    )


def site_origin() -> str:
    """Where links in emails point: the Site's domain (the admin's Sites; SITE_ID) over the
    protocol allauth's emails use (ACCOUNT_DEFAULT_HTTP_PROTOCOL)."""
    return f"{settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{Site.objects.get_current().domain}"


def message_id(key: str) -> str:
    """`<key@domain>`: the Message-ID of the email that carries the delivery (or digest) `key`,
    on the Site's domain without its port."""
    domain = urlsplit(f"//{Site.objects.get_current().domain}").hostname
    return f"<{key}@{domain or 'budgetpay'}>"


def unsubscribe_token(*, user_id: int, types: list[str]) -> str:
    """A signed token that turns off email for these types of this person (no expiry: a link
    in an old email still works, as RFC 8058 expects)."""
    return signing.dumps({"u": user_id, "t": sorted(set(types))}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[int, list[str]] | None:
    """(user id, types) of a token this site signed; None for anything else."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    user_id, types = payload.get("u"), payload.get("t")
    if not isinstance(user_id, int) or not isinstance(types, list) or not types:
        return None
    if not all(type in Notification.Type.values for type in types):
        return None
    return user_id, types


def unsubscribe_url(*, user_id: int, types: list[str]) -> str:
    token = unsubscribe_token(user_id=user_id, types=types)
    return site_origin() + reverse("notifications:unsubscribe", args=[token])


@transaction.atomic
def email_unsubscribe(*, user_id: int, types: list[str]) -> bool:
    """Turn off email for these types of this person; False when the person is gone."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return False
    services.preference_matrix_update(user=user, changes={type: {Channel.EMAIL: False} for type in types})
    return True


# --- What an email says --------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One notification as an email shows it."""

    type_display: str
    title: str
    message: str
    url: str
    at: datetime
    level: str


def _item(notification: Notification, *, hide_amounts: bool, zone: ZoneInfo, origin: str) -> Item:
    title, message = notification.title, notification.message
    if hide_amounts:
        title, message = notification.get_type_display(), HIDDEN_MESSAGE
    return Item(
        type_display=notification.get_type_display(),
        title=title,
        message=message,
        url=origin + (related_url(notification) or reverse("notifications:list")),
        at=timezone.localtime(notification.created_at, zone),
        level=notification.level,
    )


def _zone(user) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _message(
    *, to: str, subject: str, template: str, context: dict[str, Any], key: str, types: list[str], user_id: int
):
    origin = site_origin()
    unsubscribe = unsubscribe_url(user_id=user_id, types=types)
    context = {
        **context,
        "origin": origin,
        "unsubscribe_url": unsubscribe,
        "preferences_url": origin + reverse("notifications:preferences"),
    }
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split())[:200],
        body=render_to_string(f"notifications/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            "Message-ID": message_id(key),
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string(f"notifications/email/{template}.html", context), "text/html")
    return message


def _failure(exc: Exception) -> SendResult:
    """An SMTP answer or a connection that failed: a 5xx refusal is for good, the rest may pass."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        said = "; ".join(f"{code} {text.decode('utf-8', 'replace')}" for code, text in exc.recipients.values())
        return SendResult(
            ok=False, status_code=codes[0] if codes else None, error=f"Refused: {said}"[:500], retry=not permanent
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        error = f"The mail server answered {exc.smtp_code}: {text}"[:500]
        return SendResult(ok=False, status_code=exc.smtp_code, error=error, retry=exc.smtp_code < 500)
    return SendResult(ok=False, error=f"The mail server could not be reached: {exc.__class__.__name__}: {exc}"[:500])


_SEND_ERRORS = (smtplib.SMTPException, OSError)

# --- The mail server connection -----------------------------------------------------------------

# Each thread keeps its connection to the mail server open between emails: a worker sends many,
# and a connection per email costs a TCP (and TLS) handshake and an EHLO/AUTH round each.
_kept = threading.local()


def _server_settings() -> tuple:
    return tuple(
        getattr(settings, name, None)
        for name in ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_USE_TLS", "EMAIL_USE_SSL")
    )


def close_kept_connection() -> None:
    """Close this thread's kept connection to the mail server (the next email opens one)."""
    kept = getattr(_kept, "value", None)
    _kept.value = None
    if kept is not None:
        try:
            kept[1].close()
        except _SEND_ERRORS:
            pass  # already gone


def _deliver(message: EmailMultiAlternatives) -> None:
    """Send over this thread's kept connection. A kept connection the server dropped while it
    was idle (SMTPServerDisconnected, a reset) is opened again once; any failure closes it."""
    kept = getattr(_kept, "value", None)
    if kept is not None and kept[0] != _server_settings():  # the settings changed (tests)
        close_kept_connection()
        kept = None
    for reused in (kept is not None, False):
        if not reused and getattr(_kept, "value", None) is None:
            _kept.value = (_server_settings(), get_connection(fail_silently=False))
        connection = _kept.value[1]
        try:
            connection.open()  # a no-op while it is open: send_messages() then leaves it open
            connection.send_messages([message])
            return
        except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
            close_kept_connection()
            if not reused:
                raise exc from None
        except BaseException:
            close_kept_connection()
            raise


# --- Immediate emails -----------------------------------------------------------------------------


_SEND_FACTS_SQL = """
SELECT
    (SELECT e.email FROM {email_address} e WHERE e.user_id = %(user_id)s AND e.{primary} AND e.verified
        ORDER BY e.id LIMIT 1),
    CASE WHEN %(capped)s THEN (SELECT COUNT(*) FROM {delivery} d WHERE d.user_id = %(user_id)s
        AND d.channel = %(channel)s AND d.batch = '' AND d.sent_at > %(since)s) ELSE 0 END,
    EXISTS (SELECT 1 FROM {settings} s WHERE s.user_id = %(user_id)s AND s.email_hides_amounts)
"""


def _send_facts(delivery: Delivery) -> tuple[str | None, bool, bool]:
    """What an immediate email asks before it goes, in one statement (it runs for every one):
    the verified address (None: not verified), whether the person is past
    EMAIL_IMMEDIATE_MAX_PER_HOUR immediate emails in the last hour (0: no cap; digests do not
    count; a digest's own row is never capped) and whether they hide amounts in emails."""
    limit = settings.EMAIL_IMMEDIATE_MAX_PER_HOUR
    capped = limit > 0 and not delivery.batch
    sql = _SEND_FACTS_SQL.format(
        email_address=EmailAddress._meta.db_table,
        primary=connection.ops.quote_name("primary"),
        delivery=Delivery._meta.db_table,
        settings=DeliverySettings._meta.db_table,
    )
    since = connection.ops.adapt_datetimefield_value(timezone.now() - HOUR)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"user_id": delivery.user_id, "channel": Channel.EMAIL, "capped": capped, "since": since})
        address, sent, hides = cursor.fetchone()
    return address, capped and sent >= limit, bool(hides)


def send(delivery: Delivery) -> SendResult:
    """Mail one notification at once (notifications.outbox calls it for the email channel)."""
    notification = delivery.notification
    if notification is None:
        return SendResult(ok=False, retry=False, error="Nothing to send: the notification is gone.")
    address, past_hourly_cap, hide_amounts = _send_facts(delivery)
    if address is None:
        return SendResult(ok=False, retry=False, error=NOT_VERIFIED)
    if past_hourly_cap:
        # Into the daily digest: the outbox puts the row back as pending (a deferral is no
        # try), where the sweeper leaves batched rows to the digest's job.
        Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING).update(batch=EmailTiming.DAILY)
        return SendResult(ok=False, defer_seconds=0.0)
    user = delivery.user
    item = _item(
        notification,
        hide_amounts=hide_amounts,
        zone=_zone(user),
        origin=site_origin(),
    )
    message = _message(
        to=address,
        subject=item.title,
        template="notification",
        context={"item": item, "user": user},
        key=delivery.key,
        types=[notification.type],
        user_id=delivery.user_id,
    )
    try:
        _deliver(message)
    except _SEND_ERRORS as exc:
        return _failure(exc)
    return SendResult(ok=True)


# --- Digests --------------------------------------------------------------------------------------


def _claim_digest(*, user_id: int, frequency: str, now: datetime) -> tuple[str, list[int]]:
    """Take this person's waiting rows of the batch (and any whose digest claim lapsed)."""
    token = uuid.uuid4().hex
    waiting = Delivery.objects.filter(user_id=user_id, channel=Channel.EMAIL, batch=frequency).filter(
        Q(state__in=_RETRYABLE) | Q(state=Delivery.State.SENDING, locked_until__lt=now)
    )
    with transaction.atomic():
        ids = list(
            waiting.select_for_update(skip_locked=True).order_by("id").values_list("id", flat=True)[:DIGEST_MAX_ROWS]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                state=Delivery.State.SENDING,
                claim=token,
                locked_until=now + timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS),
                attempts=F("attempts") + 1,
            )
    return token, ids


def _digest_key(keys: list[str]) -> str:
    """The digest's own key: the same rows make the same Message-ID (a resend after a crash)."""
    return "digest_" + hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:32]


def _finish_digest(rows: list[Delivery], claim: str, result: SendResult, duration_ms: int) -> None:
    now = timezone.now()
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(
            delivery=row, at=now, status_code=result.status_code, error=result.error, duration_ms=duration_ms
        )
        for row in rows
    )
    fields = {"claim": "", "locked_until": None, "last_status_code": result.status_code, "last_error": result.error}
    for row in rows:
        ours = Delivery.objects.filter(pk=row.pk, claim=claim)
        if result.ok:
            ours.update(state=Delivery.State.SENT, sent_at=now, **fields)
            continue
        delay = outbox.retry_delay(row.attempts) if result.retry else None
        # A failed digest's rows stay in the batch: the next digest (or this one's retry) takes them.
        ours.update(state=Delivery.State.GIVEN_UP if delay is None else Delivery.State.FAILED, **fields)


class DigestNotSent(Exception):
    """The mail server did not take the digest; its rows wait for the next try (str: why)."""


def digest_send(*, user_id: int, frequency: str, local_date: date) -> int:
    """Mail this person one email with every notification waiting in their daily or weekly
    batch (`frequency`), for their `local_date`. Returns how many it carried: 0 when nothing
    was waiting, or the address is not verified (the rows are then given up, saying why), and
    then no email is sent. Running it twice sends once: the first run takes the rows. Raises
    DigestNotSent when the mail server fails, after putting the rows back for the next try."""
    if frequency not in DIGESTS:
        raise ValueError(f"A digest is daily or weekly, not {frequency!r}.")
    claim, ids = _claim_digest(user_id=user_id, frequency=frequency, now=timezone.now())
    if not ids:
        return 0
    rows = list(
        Delivery.objects.filter(pk__in=ids, claim=claim)
        .select_related("notification", "user")
        .order_by("notification__created_at", "id")
    )
    if not rows:
        return 0
    started = time.monotonic()
    address = verified_address(user_id=user_id)
    if address is None:
        _finish_digest(rows, claim, SendResult(ok=False, retry=False, error=NOT_VERIFIED), 0)
        return 0
    user = rows[0].user
    hide_amounts, zone, origin = email_hides_amounts(user_id=user_id), _zone(user), site_origin()
    items = [_item(row.notification, hide_amounts=hide_amounts, zone=zone, origin=origin) for row in rows]
    count = len(items)
    period = "daily" if frequency == EmailTiming.DAILY else "weekly"
    subject = f"Your {period} Budget Pay digest: {count} notification{'' if count == 1 else 's'}"
    message = _message(
        to=address,
        subject=subject,
        template="digest",
        context={
            "items": items[:DIGEST_SHOWN],
            "more": count - min(count, DIGEST_SHOWN),
            "count": count,
            "period": period,
            "local_date": local_date,
            "user": user,
            "list_url": origin + reverse("notifications:list"),
        },
        key=_digest_key([row.key for row in rows]),
        types=[row.notification.type for row in rows],
        user_id=user_id,
    )
    try:
        _deliver(message)
    except _SEND_ERRORS as exc:
        result = _failure(exc)
        _finish_digest(rows, claim, result, int((time.monotonic() - started) * 1000))
        raise DigestNotSent(result.error) from exc
    _finish_digest(rows, claim, SendResult(ok=True), int((time.monotonic() - started) * 1000))
    return count
