"""Signed webhooks: a person's own endpoints that receive their notifications (docs/webhooks.md).

Each delivery is a POST of a versioned JSON payload, signed per Standard Webhooks
(https://www.standardwebhooks.com): `webhook-id` (the delivery's stable key, the same on
every retry, so receivers de-duplicate by it), `webhook-timestamp` (unix seconds of this
try) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the
webhook's secret (`whsec_` + base64 of the key). The outbox (notifications.outbox) claims,
retries and records each try; this module builds and sends one try (`send`), learns from its
outcome (`record_outcome`: a run of failures turns the webhook off and tells its owner), and
holds the webhooks' services and reads. Every call goes through budgetpay.outbound, which
refuses private addresses unless WEBHOOKS_ALLOWED_NETWORKS allows them and follows no redirect.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from budgetpay import outbound
from budgetpay.services import model_update
from notifications import outbox
from notifications.models import Channel, Delivery, DeliveryAttempt, Notification, Webhook
from notifications.selectors import notification_payload
from notifications.sending import SendResult
from notifications.services import notify

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
PAYLOAD_VERSION = 1
USER_AGENT = "BudgetPay-Webhooks/1"
EVENT_NOTIFICATION = "notification.created"
EVENT_TEST = "webhook.test"
# How much of a failed answer's body is kept in the delivery log.
ERROR_BODY_CHARS = 200
MAX_URL_LENGTH = 2000
UPDATABLE = ("url", "description", "types", "is_active")


# --- Signing ---------------------------------------------------------------------------------


def new_secret() -> str:
    """A new signing secret in the Standard Webhooks form: "whsec_" + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: "v1," + base64 HMAC-SHA256 of f"{msg_id}.{timestamp}." + body,
    keyed with the base64-decoded part of the secret after "whsec_"."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def secret_hint(secret: str) -> str:
    """Enough of a secret to tell two apart ("whsec_…abcd"), never enough to sign with."""
    return f"{SECRET_PREFIX}…{secret[-4:]}" if secret else ""


# --- Payloads --------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def payload(delivery: Delivery) -> dict[str, Any]:
    """What a delivery carries (version 1). Its `timestamp` is when the event happened, so every
    retry of a delivery sends the same event; `data` is the notification as the REST API shows it."""
    if delivery.is_test:
        return {
            "type": EVENT_TEST,
            "version": PAYLOAD_VERSION,
            "timestamp": _iso(delivery.created_at),
            "data": {
                "webhook_id": delivery.webhook_id,
                "message": "A test event from Budget Pay: your endpoint is reachable and can verify our signature.",
            },
        }
    return {
        "type": EVENT_NOTIFICATION,
        "version": PAYLOAD_VERSION,
        "timestamp": _iso(delivery.notification.created_at),
        "data": notification_payload(delivery.notification),
    }


def body_of(delivery: Delivery) -> bytes:
    return json.dumps(payload(delivery), cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


# --- One try ---------------------------------------------------------------------------------


def send(delivery: Delivery) -> SendResult:
    """POST one delivery to its webhook, signed, and say how it went. The outbox records the try
    and schedules the next one; a 410 Gone turns the webhook off (the receiver asked us to stop)."""
    webhook = delivery.webhook
    body = body_of(delivery)
    # The receiver's clock is the real one: a test's frozen Django clock has no say here.
    timestamp = int(time.time())
    headers = {
        "webhook-id": delivery.key,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(webhook.secret, delivery.key, timestamp, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    try:
        response = outbound.post(webhook.url, body=body, headers=headers)
    except outbound.OutboundRefused as refused:
        return SendResult(ok=False, error=f"refused: {refused}", retry=False)
    except outbound.OutboundError as error:
        return SendResult(ok=False, error=str(error))
    status = response.status
    if 200 <= status < 300:
        return SendResult(ok=True, status_code=status)
    if 300 <= status < 400:
        location = response.headers.get("location", "")[:ERROR_BODY_CHARS]
        where = f" (to {location})" if location else ""
        return SendResult(ok=False, status_code=status, error=f"HTTP {status}: redirects are not followed{where}")
    error = f"HTTP {status}" + (f": {excerpt}" if (excerpt := _excerpt(response.body)) else "")
    if status == 410:
        _turn_off(webhook.pk, reason=f"The receiver answered 410 Gone, asking us to stop; last error: {error}")
        return SendResult(ok=False, status_code=status, error=error, retry=False)
    return SendResult(ok=False, status_code=status, error=error)


def _excerpt(body: bytes) -> str:
    """The start of a response body, on one line, for the delivery log."""
    text = body[: ERROR_BODY_CHARS * 4].decode("utf-8", errors="replace")
    return " ".join(text.split())[:ERROR_BODY_CHARS]


def record_outcome(*, webhook_id: int, ok: bool) -> None:
    """Count a try's outcome against its webhook (the outbox calls it after each try): a success
    clears the run of failures; the WEBHOOK_DISABLE_AFTER_FAILURES-th failure in a row turns the
    webhook off, gives up what still waits for it and tells its owner. A webhook that is already
    off counts nothing."""
    active = Webhook.objects.filter(pk=webhook_id, is_active=True)
    if ok:
        active.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
        return
    if not active.update(consecutive_failures=F("consecutive_failures") + 1):
        return
    failures = active.values_list("consecutive_failures", flat=True).first()
    if failures is not None and failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        _turn_off(
            webhook_id,
            reason=f"Turned off after {failures} failed deliveries in a row; last error: {_last_error(webhook_id)}",
        )


def _last_error(webhook_id: int) -> str:
    attempt = DeliveryAttempt.objects.filter(delivery__webhook_id=webhook_id).order_by("-id").first()
    if attempt is None:
        return "unknown"
    return attempt.error or (f"HTTP {attempt.status_code}" if attempt.status_code else "unknown")


def _turn_off(webhook_id: int, *, reason: str) -> None:
    """Turn a webhook off (once: whoever turns it off first does the rest), give up its waiting
    deliveries and tell its owner. The notification comes after the webhook is off, so it is
    never queued for the webhook it is about."""
    reason = reason[: Webhook._meta.get_field("disabled_reason").max_length]
    with transaction.atomic():
        if not Webhook.objects.filter(pk=webhook_id, is_active=True).update(is_active=False, disabled_reason=reason):
            return
        outbox.deliveries_give_up(webhook_id=webhook_id, reason=f"The webhook was turned off. {reason}")
        webhook = Webhook.objects.select_related("user").get(pk=webhook_id)
        host = urlsplit(webhook.url).hostname or webhook.url
        notify(
            user=webhook.user,
            type=Notification.Type.DELIVERY_PROBLEM,
            level=Notification.Level.WARNING,
            title="A webhook was turned off",
            message=f"Your webhook to {host} was turned off. {reason} Fix the receiver, then turn the webhook back on.",
            data={"webhook_id": webhook_id, "host": host},
            related=webhook,
            dedupe_key=f"webhook-disabled:{webhook_id}:{int(timezone.now().timestamp())}",
        )


# --- Services --------------------------------------------------------------------------------


def _checked_url(url: object) -> str:
    """The URL as stored, or a ValidationError on `url` naming why it may not be called."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError({"url": ["Enter the URL of your endpoint (https://…)."]})
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError({"url": [f"The URL is longer than {MAX_URL_LENGTH} characters."]})
    try:
        outbound.check_url(url)
    except outbound.OutboundRefused as refused:
        raise ValidationError({"url": [str(refused)]}) from None
    return url


def _checked_types(types: object) -> list[str]:
    """Known notification types, each once, in the order given ([]: every type)."""
    if types is None:
        return []
    if not isinstance(types, list | tuple):
        raise ValidationError({"types": ["Send a list of notification types ([] for every type)."]})
    unknown = [str(type) for type in types if type not in Notification.Type.values]
    if unknown:
        raise ValidationError(
            {
                "types": [
                    f"Unknown notification type {', '.join(unknown)}; "
                    f"use any of: {', '.join(Notification.Type.values)}."
                ]
            }
        )
    return list(dict.fromkeys(types))


def _lock_owner(user) -> None:
    """Hold the person's row so two creates cannot both pass the per-person cap."""
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


def webhook_create(*, user, url: str, types: list[str] | None = None, description: str = "") -> tuple[Webhook, str]:
    """A new webhook and its secret (shown to the person this once)."""
    url = _checked_url(url)  # outside the transaction: it looks the host up
    types = _checked_types(types)
    with transaction.atomic():
        _lock_owner(user)
        if Webhook.objects.filter(user=user).count() >= settings.WEBHOOKS_MAX_PER_PERSON:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: [
                        f"You have {settings.WEBHOOKS_MAX_PER_PERSON} webhooks, the most one person may have; "
                        "delete one first."
                    ]
                }
            )
        secret = new_secret()
        webhook = Webhook(user=user, url=url, types=types, description=description, secret=secret)
        webhook.full_clean(exclude=["url"])  # the URL was checked above, more closely than URLField does
        webhook.save()
    return webhook, secret


def webhook_update(*, webhook: Webhook, **fields: Any) -> Webhook:
    """Change a webhook's url, description, types or is_active. Turning it back on clears its run of
    failures and why it was turned off; turning it off gives up what still waits for it."""
    unknown = set(fields) - set(UPDATABLE)
    if unknown:
        raise TypeError(f"Webhook may not be updated with: {', '.join(sorted(unknown))}")
    if "url" in fields:
        fields["url"] = _checked_url(fields["url"])
    if "types" in fields:
        fields["types"] = _checked_types(fields["types"])
    turning_on = fields.get("is_active") is True and not webhook.is_active
    turning_off = fields.get("is_active") is False and webhook.is_active
    if turning_on:
        fields.update(consecutive_failures=0, disabled_reason="")
    with transaction.atomic():
        model_update(
            instance=webhook,
            fields=fields,
            allowed=(*UPDATABLE, "consecutive_failures", "disabled_reason"),
            clean_exclude=("url",),
        )
        if turning_off:
            outbox.deliveries_give_up(webhook_id=webhook.pk, reason="The webhook was turned off.")
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: Webhook) -> None:
    outbox.deliveries_give_up(webhook_id=webhook.pk, reason="The webhook was deleted.")
    webhook.delete()


@transaction.atomic
def webhook_rotate_secret(*, webhook: Webhook) -> tuple[Webhook, str]:
    """A new secret (shown this once); every try from now on, retries included, is signed with it."""
    secret = new_secret()
    webhook.secret = secret
    webhook.save(update_fields=["secret", "updated_at"])
    return webhook, secret


@transaction.atomic
def webhook_send_test(*, webhook: Webhook) -> Delivery:
    """Queue a `webhook.test` event to the webhook; it goes out after the commit."""
    if not webhook.is_active:
        raise ValidationError({"is_active": ["The webhook is turned off; turn it on to send it a test event."]})
    delivery = Delivery.objects.create(
        key=outbox.new_key(),
        notification=None,
        user_id=webhook.user_id,
        channel=Channel.WEBHOOK,
        webhook=webhook,
        is_test=True,
    )
    transaction.on_commit(lambda: outbox.deliveries_ring([delivery.pk]))
    return delivery


# --- Reads -----------------------------------------------------------------------------------


def webhook_list(*, user) -> QuerySet[Webhook]:
    return Webhook.objects.filter(user=user).order_by("id")


def webhook_deliveries(*, webhook: Webhook) -> QuerySet[Delivery]:
    """The webhook's delivery log, newest first, each with its tries."""
    return Delivery.objects.filter(webhook=webhook).prefetch_related("attempt_log").order_by("-id")
