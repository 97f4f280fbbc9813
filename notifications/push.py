"""Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payloads (RFC 8291): the push channel's
sender for notifications.outbox, and the people's devices (their browsers' push subscriptions).

A push carries the notification as JSON (the service worker shows it and opens `url`), encrypted
for the browser's key, signed with the site's VAPID key and POSTed through budgetpay.outbound
(the endpoint is a URL someone sent us: the same address checks as a webhook's). `Topic` is a
collapse key per person and thing (a budget, a goal...): while a phone is offline the push service
keeps only the newest push of a burst about one budget. At most PUSH_MAX_PER_MINUTE
notifications are pushed to a person a minute; the next ones wait for the minute to pass.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import socket
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from py_vapid import Vapid, VapidException

from budgetpay import outbound
from notifications.models import Channel, Delivery, DeliverySettings, Notification, PushSubscription
from notifications.sending import SendResult
from notifications.templatetags.notification_tags import related_url

# How long a push service keeps a push for a device that is offline.
TTL_SECONDS = 86400
# A VAPID token's lifetime (RFC 8292 allows at most 24 hours).
VAPID_TOKEN_SECONDS = 12 * 3600
MAX_SUBSCRIPTIONS_PER_PERSON = 20
MAX_ENDPOINT_LENGTH = 2000
# A push service takes 4096 bytes of ciphertext: 3993 of plaintext in one aes128gcm record
# (86 of header, 16 of tag, 1 delimiter). A message too long for it is shortened.
MAX_PAYLOAD_BYTES = 3800
HIDDEN_MESSAGE = "Open Budget Pay to see the details."
NOT_CONFIGURED = "Web push is not configured (VAPID keys)"
HIGH_URGENCY_LEVELS = frozenset({Notification.Level.ALERT, Notification.Level.WARNING})
RATE_WINDOW = timedelta(seconds=60)
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


# --- VAPID keys --------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    """base64url without padding, as web-push libraries write keys."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(value: str) -> bytes | None:
    """The bytes of a base64url (or standard base64) string, padded or not; None when it is not one."""
    if not isinstance(value, str):
        return None
    text = value.rstrip("=").replace("+", "-").replace("/", "_")
    if not text or len(value) - len(text) > 2 or not set(text) <= _B64URL or len(text) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def vapid_key_pair() -> tuple[str, str]:
    """A new VAPID key pair: (the public key: the 65-byte uncompressed P-256 point, the private
    key: the 32-byte scalar), each base64url without padding (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY)."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    public = private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(public), b64url(private_key.private_numbers().private_value.to_bytes(32, "big"))


class NotConfigured(Exception):
    """The VAPID settings are missing or do not make a key pair; str() says which."""


@lru_cache(maxsize=4)
def _vapid_for(private_key: str, public_key: str) -> Vapid:
    if not private_key or not public_key:
        raise NotConfigured(NOT_CONFIGURED)
    raw = b64url_decode(private_key)
    if raw is None or len(raw) != 32:
        raise NotConfigured(f"{NOT_CONFIGURED}: VAPID_PRIVATE_KEY is not a base64url 32-byte P-256 key.")
    try:
        vapid = Vapid.from_raw(b64url(raw).encode())
    except ValueError:
        raise NotConfigured(f"{NOT_CONFIGURED}: VAPID_PRIVATE_KEY is not a P-256 private key.") from None
    derived = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    if b64url_decode(public_key) != derived:
        raise NotConfigured(f"{NOT_CONFIGURED}: VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY.")
    return vapid


def _vapid() -> Vapid:
    return _vapid_for(settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY)


def vapid_public_key() -> str:
    """What a browser passes to pushManager.subscribe() as applicationServerKey."""
    return settings.VAPID_PUBLIC_KEY


def push_enabled() -> bool:
    """Whether this site can send pushes (both VAPID keys set, and a pair)."""
    try:
        _vapid()
    except NotConfigured:
        return False
    return True


def vapid_authorization(endpoint: str) -> str:
    """The `Authorization: vapid t=<JWT>,k=<public key>` value for a push to `endpoint`."""
    parts = urlsplit(endpoint)
    claims = {
        "aud": f"{parts.scheme.lower()}://{parts.netloc.lower()}",
        "sub": settings.VAPID_SUBJECT,
        "exp": int(time.time()) + VAPID_TOKEN_SECONDS,
    }
    return _vapid().sign(claims)["Authorization"]


# --- What a push says ----------------------------------------------------------------------------


def collapse_key(notification: Notification) -> str:
    """The push `Topic` and the shown notification's `tag`: one per person, type and thing the
    notification is about (its own id when it is about nothing), 32 base64url characters."""
    if notification.related_id is not None:
        thing = f"{notification.related_type}:{notification.related_id}"
    else:
        thing = f"notification:{notification.pk}"
    digest = hashlib.sha256(f"{notification.user_id}:{notification.type}:{thing}".encode()).digest()
    return b64url(digest)[:32]


def push_payload(delivery: Delivery, *, hide_amounts: bool = False) -> dict[str, Any]:
    """The JSON the service worker receives. With `hide_amounts`, the title and message say only
    what kind of thing happened (a lock screen shows them to anyone)."""
    notification = delivery.notification
    title, message = notification.title, notification.message
    if hide_amounts:
        title, message = notification.get_type_display(), HIDDEN_MESSAGE
    return {
        "id": delivery.key,
        "notification_id": notification.pk,
        "type": notification.type,
        "title": title,
        "message": message,
        "level": notification.level,
        "url": related_url(notification) or reverse("notifications:list"),
        "tag": collapse_key(notification),
        "created_at": notification.created_at.isoformat(),
    }


def _encoded(payload: dict[str, Any]) -> bytes:
    """The payload as UTF-8 JSON within MAX_PAYLOAD_BYTES: a message too long is cut (at the
    longest prefix that fits, found by bisection) and ends with "…"."""

    def encode(message: str) -> bytes:
        return json.dumps({**payload, "message": message}, ensure_ascii=False, separators=(",", ":")).encode()

    data = encode(payload["message"])
    if len(data) <= MAX_PAYLOAD_BYTES:
        return data
    fits, too_long = 0, len(payload["message"])
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if len(encode(payload["message"][:middle] + "…")) <= MAX_PAYLOAD_BYTES:
            fits = middle
        else:
            too_long = middle
    return encode(payload["message"][:fits] + "…")


def _hides_amounts(user_id: int) -> bool:
    return bool(DeliverySettings.objects.filter(user_id=user_id).values_list("push_hides_amounts", flat=True).first())


# --- Sending -------------------------------------------------------------------------------------


# The minute's pushes to the person, first send per notification, oldest first. Written as SQL:
# it runs before every push, and building it with the ORM cost more CPU than running it.
_RATE_SQL = """
SELECT d.notification_id, MIN(d.sent_at) FROM {delivery} d
    WHERE d.user_id = %(user_id)s AND d.channel = %(channel)s AND d.sent_at > %(since)s
        AND (d.notification_id IS NULL OR d.notification_id <> %(notification_id)s)
    GROUP BY d.notification_id
    ORDER BY 2
"""


def _aware(value: datetime | str) -> datetime:
    """A sent_at as a raw statement gives it back (SQLite: text in UTC)."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def _rate_wait(delivery: Delivery) -> float | None:
    """Seconds until the person may be pushed another notification, or None: now. Counts the
    notifications pushed to them in the last minute (one pushed to two devices counts once,
    and never holds back its own copy to another device). PUSH_MAX_PER_MINUTE 0: no limit."""
    limit = settings.PUSH_MAX_PER_MINUTE
    if limit <= 0:
        return None
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _RATE_SQL.format(delivery=Delivery._meta.db_table),
            {
                "user_id": delivery.user_id,
                "channel": Channel.PUSH,
                "since": connection.ops.adapt_datetimefield_value(now - RATE_WINDOW),
                "notification_id": delivery.notification_id,
            },
        )
        firsts = [_aware(sent_at) for _, sent_at in cursor.fetchall()]
    if len(firsts) < limit:
        return None
    # Room for one more once this many of them have left the window.
    frees_a_place = firsts[len(firsts) - limit]
    return max(1.0, (frees_a_place + RATE_WINDOW - now).total_seconds())


def _urgency(notification: Notification) -> str:
    return "high" if notification.level in HIGH_URGENCY_LEVELS else "normal"


def _answer(status: int, body: bytes) -> SendResult:
    if status in (200, 201, 202):
        return SendResult(ok=True, status_code=status)
    said = "".join(char for char in body[:200].decode("utf-8", "replace") if char.isprintable()).strip()
    error = f"The push service answered {status}" + (f": {said}" if said else ".")
    if status in (404, 410):
        return SendResult(ok=False, status_code=status, error=error, retry=False, gone=True)
    # Worth another try: the service is busy or down, or refused our VAPID token (a clock or a
    # configuration that may be put right); anything else about this push will not change.
    retry = status in (401, 403, 408, 425, 429) or status >= 500
    return SendResult(ok=False, status_code=status, error=error, retry=retry)


def _payload(delivery: Delivery) -> dict[str, Any]:
    """The notification's own push, or the summary of what quiet hours held."""
    from notifications import quiet_hours  # it builds on this module

    build = quiet_hours.summary_payload if quiet_hours.is_summary(delivery) else push_payload
    return build(delivery, hide_amounts=_hides_amounts(delivery.user_id))


def send(delivery: Delivery) -> SendResult:
    """Push one delivery to its device (notifications.outbox calls it for the push channel)."""
    subscription, notification = delivery.push_subscription, delivery.notification
    if subscription is None or notification is None:
        return SendResult(ok=False, retry=False, error="Nothing to push: the device or the notification is gone.")
    try:
        authorization = vapid_authorization(subscription.endpoint)
    except NotConfigured as exc:
        return SendResult(ok=False, retry=False, error=str(exc))
    except VapidException as exc:
        return SendResult(ok=False, retry=False, error=f"Could not sign the push (VAPID): {exc}"[:500])
    wait = _rate_wait(delivery)
    if wait is not None:
        return SendResult(ok=False, defer_seconds=wait)
    # Imported here: pywebpush brings aiohttp and requests (most of a second), which only a
    # process that sends pushes needs.
    from pywebpush import WebPusher, WebPushException

    payload = _payload(delivery)
    data = _encoded(payload)
    keys = {"p256dh": subscription.p256dh, "auth": subscription.auth}
    try:
        encrypted = WebPusher({"endpoint": subscription.endpoint, "keys": keys}).encode(
            data, content_encoding="aes128gcm"
        )["body"]
    except (WebPushException, ValueError, TypeError, binascii.Error):
        return SendResult(ok=False, retry=False, error="The device's keys cannot encrypt a push.")
    headers = {
        "Authorization": authorization,
        "Content-Type": "application/octet-stream",
        "Content-Encoding": "aes128gcm",
        "TTL": str(TTL_SECONDS),
        "Urgency": _urgency(notification),
        "Topic": payload["tag"],
    }
    try:
        response = outbound.post(subscription.endpoint, body=encrypted, headers=headers)
    except outbound.OutboundRefused as exc:
        return SendResult(ok=False, retry=False, error=f"Refused: {exc}"[:500])
    except outbound.OutboundError as exc:
        return SendResult(ok=False, error=f"The push service did not answer: {exc}"[:500])
    return _answer(response.status, response.body)


def subscription_gone(*, subscription_id: int) -> None:
    """The push service says the subscription is no more (404/410): forget the device. Its
    deliveries still waiting are given up by the outbox (their subscription is now empty)."""
    PushSubscription.objects.filter(pk=subscription_id).delete()


# --- Devices -------------------------------------------------------------------------------------


def _host_addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def _in_allowed_networks(host: str) -> bool:
    networks = [ipaddress.ip_network(entry, strict=False) for entry in settings.WEBHOOKS_ALLOWED_NETWORKS]
    addresses = _host_addresses(host)
    return bool(addresses) and all(any(address in network for network in networks) for address in addresses)


def validate_endpoint(endpoint: str) -> str:
    """A push service's URL: https, or http to an address in WEBHOOKS_ALLOWED_NETWORKS (a push
    service on one's own network); never a private address that is not allowed."""
    if not isinstance(endpoint, str) or not endpoint:
        raise ValidationError("Send the subscription's endpoint URL.")
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise ValidationError(f"The endpoint is longer than {MAX_ENDPOINT_LENGTH} characters.")
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        raise ValidationError("The endpoint is not a valid URL.") from None
    if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        raise ValidationError("The endpoint must be an https:// URL.")
    try:
        outbound.check_url(endpoint)
    except outbound.OutboundRefused as exc:
        raise ValidationError(str(exc)) from None
    if parts.scheme.lower() == "http" and not _in_allowed_networks(parts.hostname):
        raise ValidationError("The endpoint must be an https:// URL.")
    return endpoint


def validate_p256dh(value: str) -> str:
    """The browser's public key: an uncompressed P-256 point (65 bytes), base64url; returned unpadded."""
    raw = b64url_decode(value)
    if raw is None or len(raw) != 65 or raw[0] != 0x04:
        raise ValidationError("Send the browser's P-256 public key: 65 bytes, base64url (keys.p256dh of toJSON()).")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise ValidationError("The key is not a point on the P-256 curve.") from None
    return b64url(raw)


def validate_auth(value: str) -> str:
    """The browser's auth secret: 16 bytes, base64url; returned unpadded."""
    raw = b64url_decode(value)
    if raw is None or len(raw) != 16:
        raise ValidationError("Send the browser's auth secret: 16 bytes, base64url (keys.auth of toJSON()).")
    return b64url(raw)


def push_subscriptions_for(*, user) -> QuerySet[PushSubscription]:
    """The person's devices, newest first."""
    return PushSubscription.objects.filter(user=user).order_by("-created_at", "-id")


def push_subscription_save(
    *, user, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> tuple[PushSubscription, bool]:
    """Store a browser's subscription for `user`; True when it is new to them. An endpoint
    stored for someone else moves to `user` (the browser subscribed again under another login)
    as a new row: what was waiting for the previous person is never pushed to this one. A
    person keeps their newest MAX_SUBSCRIPTIONS_PER_PERSON devices."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for field, check, value in (
        ("endpoint", validate_endpoint, endpoint),
        ("p256dh", validate_p256dh, p256dh),
        ("auth", validate_auth, auth),
    ):
        try:
            cleaned[field] = check(value)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    fields = {"p256dh": cleaned["p256dh"], "auth": cleaned["auth"], "user_agent": (user_agent or "")[:300]}
    with transaction.atomic():
        stored = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
        if stored is not None and stored.user_id == user.pk:
            PushSubscription.objects.filter(pk=stored.pk).update(**fields)
            stored.refresh_from_db()
            return stored, False
        if stored is not None:
            stored.delete()
        try:
            with transaction.atomic():
                subscription = PushSubscription.objects.create(user=user, endpoint=endpoint, **fields)
        except IntegrityError:  # the same browser, subscribing twice at once: one row
            subscription = PushSubscription.objects.filter(endpoint=endpoint, user=user).first()
            if subscription is None:
                raise ValidationError(
                    {"endpoint": ["This subscription is being stored just now; try again."]}
                ) from None
            return subscription, False
        surplus = push_subscriptions_for(user=user).values_list("pk", flat=True)[MAX_SUBSCRIPTIONS_PER_PERSON:]
        PushSubscription.objects.filter(pk__in=list(surplus)).delete()
    return subscription, True


def push_subscription_delete(*, user, endpoint: str) -> bool:
    """Forget one of the person's devices; False when the endpoint is not theirs."""
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return bool(deleted)
