"""Reads of outside deliveries for the person they belong to: one notification's deliveries
(the API), a one-line summary per notification (the list page) and their webhooks (the
preferences page). Staff read them in the admin."""

from collections import defaultdict
from urllib.parse import urlsplit

from notifications.models import Channel, Delivery, Notification, Webhook

CHANNEL_SHORT_NAMES = {Channel.PUSH: "Push", Channel.WEBHOOK: "Webhook", Channel.EMAIL: "Email"}
STATE_WORDS = {
    Delivery.State.PENDING: "waiting",
    Delivery.State.SENDING: "sending",
    Delivery.State.SENT: "sent",
    Delivery.State.FAILED: "retrying",
    Delivery.State.GIVEN_UP: "given up",
}
_TROUBLED = (Delivery.State.FAILED, Delivery.State.GIVEN_UP)


def deliveries_of(*, notification: Notification) -> list[Delivery]:
    """One notification's deliveries, oldest first, with what `delivery_target` reads."""
    return list(
        Delivery.objects.filter(notification=notification).select_related("push_subscription", "webhook").order_by("id")
    )


def url_host(url: str) -> str:
    return urlsplit(url).hostname or ""


def delivery_target(delivery: Delivery) -> str:
    """Where a delivery goes, in words the person recognises: the device's browser for a
    push, the host of the URL for a webhook (never the whole URL, which may hold a token),
    the address for an email (the verified primary one at sending time)."""
    if delivery.channel == Channel.EMAIL:
        return "your email address" + (" (in the digest)" if delivery.batch in ("daily", "weekly") else "")
    if delivery.channel == Channel.PUSH:
        subscription = delivery.push_subscription
        return (subscription.user_agent if subscription else "") or "a device"
    webhook = delivery.webhook
    return (url_host(webhook.url) if webhook else "") or "a webhook"


def delivery_summaries(*, notification_ids: list[int]) -> dict[int, str]:
    """`{notification id: "Push: sent · Webhook: given up (HTTP 500)"}` for those of the
    notifications that have deliveries; one query."""
    outcomes: dict[int, dict[str, dict[tuple[str, int | None], int]]] = defaultdict(lambda: defaultdict(dict))
    rows = (
        Delivery.objects.filter(notification_id__in=notification_ids)
        .order_by("notification_id", "id")
        .values_list("notification_id", "channel", "state", "last_status_code")
    )
    for notification_id, channel, state, status_code in rows:
        outcome = (state, status_code if state in _TROUBLED else None)
        counts = outcomes[notification_id][channel]
        counts[outcome] = counts.get(outcome, 0) + 1
    return {
        notification_id: " · ".join(
            f"{CHANNEL_SHORT_NAMES.get(channel, channel)}: {_outcomes_text(channels[channel])}"
            for channel in Channel.values
            if channel in channels
        )
        for notification_id, channels in outcomes.items()
    }


def _outcomes_text(counts: dict[tuple[str, int | None], int]) -> str:
    parts = []
    for (state, status_code), count in counts.items():
        text = STATE_WORDS.get(state, state)
        if count > 1:
            text = f"{count} {text}"
        if status_code:
            text += f" (HTTP {status_code})"
        parts.append(text)
    return ", ".join(parts)


def webhooks_listed(*, user) -> list[tuple[str, bool]]:
    """The person's webhooks as the preferences page lists them: (host, on)."""
    return [
        (url_host(url), is_active)
        for url, is_active in Webhook.objects.filter(user=user).values_list("url", "is_active")
    ]
