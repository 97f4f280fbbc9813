"""The webhooks API's shapes (docs/webhooks.md). The secret is in WebhookWithSecretSerializer
only, which answers the create and the rotate-secret calls; reads show its hint."""

from rest_framework import serializers

from notifications.models import Delivery, DeliveryAttempt, Notification, Webhook
from notifications.webhooks import MAX_URL_LENGTH, secret_hint

_TYPES = ", ".join(Notification.Type.values)


class WebhookSerializer(serializers.ModelSerializer):
    url = serializers.CharField(
        max_length=MAX_URL_LENGTH,
        help_text="Where to POST (http or https). A private or loopback address is refused unless the server's "
        "WEBHOOKS_ALLOWED_NETWORKS allows it.",
    )
    types = serializers.ListField(
        child=serializers.ChoiceField(
            choices=Notification.Type.values,
            error_messages={"invalid_choice": f'"{{input}}" is not a notification type; use one of: {_TYPES}.'},
        ),
        required=False,
        max_length=len(Notification.Type.values) * 2,
        help_text="The notification types it receives; [] or omitted: every type.",
    )
    secret_hint = serializers.SerializerMethodField(help_text='The secret\'s last characters, e.g. "whsec_…abcd".')

    class Meta:
        model = Webhook
        fields = (
            "id",
            "url",
            "description",
            "types",
            "is_active",
            "disabled_reason",
            "consecutive_failures",
            "secret_hint",
            "created_at",
        )
        read_only_fields = ("id", "disabled_reason", "consecutive_failures", "created_at")

    def get_secret_hint(self, webhook: Webhook) -> str:
        return secret_hint(webhook.secret)


class WebhookCreateSerializer(WebhookSerializer):
    """A new webhook is on; `is_active` is for turning it off and on later."""

    class Meta(WebhookSerializer.Meta):
        read_only_fields = (*WebhookSerializer.Meta.read_only_fields, "is_active")


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (whsec_…). Shown this once: store it where your receiver can read it.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = (*WebhookSerializer.Meta.fields, "secret")


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ("at", "status_code", "error", "duration_ms")
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event on its way to a webhook, with each try (oldest first)."""

    notification = serializers.IntegerField(
        source="notification_id", read_only=True, allow_null=True, help_text="Null for a test event."
    )
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = (
            "key",
            "notification",
            "is_test",
            "state",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "created_at",
            "attempt_log",
        )
        read_only_fields = fields
