from rest_framework import serializers

from notifications.insights import INSIGHT_TYPES as INSIGHT_KINDS
from notifications.models import Notification

INSIGHT_TYPES = tuple(kind.value for kind in INSIGHT_KINDS)


class NotificationSerializer(serializers.ModelSerializer):
    """The one JSON shape of a notification, on the REST API and the WebSocket."""

    type_display = serializers.CharField(source="get_type_display", read_only=True)
    related_type = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = (
            "id",
            "type",
            "type_display",
            "level",
            "title",
            "message",
            "data",
            "related_type",
            "related_id",
            "source",
            "is_read",
            "read_at",
            "created_at",
        )
        read_only_fields = tuple(field for field in fields if field != "is_read")

    def get_related_type(self, notification: Notification) -> str | None:
        return notification.related_type or None


class NotificationReadSerializer(serializers.Serializer):
    is_read = serializers.BooleanField()


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class PreferencesSerializer(serializers.Serializer):
    """`{"<type>": true|false, ...}` for every notification type."""

    def to_representation(self, preferences: dict[str, bool]) -> dict[str, bool]:
        return dict(preferences)

    def to_internal_value(self, data: object) -> dict[str, bool]:
        if not isinstance(data, dict) or not data:
            raise serializers.ValidationError({"non_field_errors": ['Send {"<type>": true|false, ...}.']})
        errors: dict[str, list[str]] = {}
        changes: dict[str, bool] = {}
        for key, value in data.items():
            if key not in Notification.Type.values:
                errors[key] = [f"Unknown notification type. Known: {', '.join(Notification.Type.values)}."]
            elif not isinstance(value, bool):
                errors[key] = ["Must be true or false."]
            else:
                changes[key] = value
        if errors:
            raise serializers.ValidationError(errors)
        return changes


INSIGHT_TYPE_ERROR = f'"{{input}}" is not an insight type; use one of {", ".join(INSIGHT_TYPES)}.'


def insight_type_field(help_text: str) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=INSIGHT_TYPES,
        required=False,
        help_text=help_text,
        error_messages={"invalid_choice": INSIGHT_TYPE_ERROR},
    )


class GenerateInsightQuerySerializer(serializers.Serializer):
    """The original API's query string: `?notification_type=saving_tip`."""

    notification_type = insight_type_field("The insight to write (the original API's name); `type` in the body wins.")


class GenerateInsightSerializer(serializers.Serializer):
    """What to write. `type` names the insight; the original API's `notification_type`
    (body or query string) is read when `type` is absent. The original's free-form
    `context` is accepted and ignored: the model sees only figures built on the
    server from the person's own ledger, never numbers a client sends."""

    type = insight_type_field("The insight to write. Wins over `notification_type`.")
    notification_type = insight_type_field(
        "The original API's name for `type`, also accepted as a query parameter (the body's wins)."
    )
    focus = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True, help_text="A topic hint for the model."
    )
    context = serializers.JSONField(
        required=False,
        write_only=True,
        help_text="Accepted for the original API's clients and ignored: the insight is written from your ledger.",
    )

    def validate(self, attrs: dict) -> dict:
        chosen = attrs.get("type") or attrs.get("notification_type") or self.context.get("query_notification_type")
        if not chosen:
            raise serializers.ValidationError(
                {
                    "type": [
                        f"Name the insight to write: type (or notification_type) is one of {', '.join(INSIGHT_TYPES)}."
                    ]
                }
            )
        return {"type": chosen, "focus": attrs["focus"]}
