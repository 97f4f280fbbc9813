"""The notification every arm of the benchmark delivers: the shape and size of a
real `income_received` notification, with the benchmark's sequence marker in its text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bench.common import MARKER


def income_message(seq: int) -> str:
    """The text notifications.rules writes for a $10.00 income (en locale) with the marker as description."""
    return f"$10.00 arrived in Main account ({MARKER}{seq};)."


def notification(seq: int, notification_id: int) -> dict[str, Any]:
    """What notifications.selectors.notification_payload() returns for such an income."""
    return {
        "id": notification_id,
        "type": "income_received",
        "type_display": "Income received",
        "level": "success",
        "title": "Income received: $10.00",
        "message": income_message(seq),
        "data": {"transaction_id": seq, "amount": "10.00", "currency": "USD"},
        "related_type": "transaction",
        "related_id": seq,
        "source": "rule",
        "is_read": False,
        "read_at": None,
        "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }


def raw_event(seq: int) -> bytes:
    """The message the raw limit publishes: the notification and the unread count, as the
    channel layer's group message carries them."""
    return json.dumps({"notification": notification(seq, seq), "unread_count": 1}, separators=(",", ":")).encode()
