from rest_framework import serializers

from notifications.models import Notification


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


class GenerateInsightSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["budget_insight", "saving_tip", "goal_progress", "spending_alert", "activity_reminder"],
        error_messages={
            "invalid_choice": '"{input}" is not an insight type; use budget_insight, saving_tip, goal_progress, '
            "spending_alert or activity_reminder."
        },
    )
    focus = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
