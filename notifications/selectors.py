from functools import cache
from typing import Any

from django.db.models import QuerySet

from notifications.models import Channel, Notification, NotificationPreference, channel_default


def notifications_for(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, is_read=False).count()


def latest_notification_id(*, user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id).order_by("-id").values_list("id", flat=True).first() or 0


def notifications_after(*, user_id: int, after_id: int, limit: int) -> list[Notification]:
    """The user's notifications with an id above `after_id`, oldest first."""
    return list(Notification.objects.filter(user_id=user_id, id__gt=after_id).order_by("id")[:limit])


def notification_payload(notification: Notification) -> dict[str, Any]:
    """The JSON shape shared by the REST API and the WebSocket."""
    return dict(_payload_serializer().to_representation(notification))


@cache
def _payload_serializer():
    # Building a ModelSerializer's fields costs more than the INSERT it describes;
    # notify() runs on every write, so it reuses one (its fields keep no state
    # between calls).
    from notifications.serializers import NotificationSerializer

    return NotificationSerializer()


def preferences_for(*, user) -> dict[str, bool]:
    """Every notification type with whether this user receives it in the app (the seed's shape)."""
    return {type: channels[Channel.IN_APP] for type, channels in preference_matrix_for(user=user).items()}


def preference_matrix_for(*, user) -> dict[str, dict[str, bool]]:
    """Every notification type × channel with whether this user receives it there."""
    chosen = {
        (type, channel): enabled
        for type, channel, enabled in NotificationPreference.objects.filter(user=user).values_list(
            "type", "channel", "enabled"
        )
    }
    return {
        type: {channel: chosen.get((type, channel), channel_default(type, channel)) for channel in Channel.values}
        for type in Notification.Type.values
    }
