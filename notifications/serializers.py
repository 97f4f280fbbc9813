from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from notifications.delivery_selectors import delivery_target
from notifications.insights import INSIGHT_TYPES as INSIGHT_KINDS
from notifications.models import Channel, Delivery, EmailTiming, Notification

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


CHANNELS_KEY = "channels"
PUSH_HIDES_AMOUNTS_KEY = "push_hides_amounts"
EMAIL_TIMING_KEY = "email_timing"
EMAIL_HIDES_AMOUNTS_KEY = "email_hides_amounts"
_OPTIONS = (PUSH_HIDES_AMOUNTS_KEY, EMAIL_HIDES_AMOUNTS_KEY)
_TYPES = Notification.Type.values
_CHANNELS = Channel.values
_TIMINGS = EmailTiming.values
_KNOWN_TYPES = f"Unknown notification type. Known: {', '.join(_TYPES)}."
_KNOWN_CHANNELS = f"Unknown channel. Known: {', '.join(_CHANNELS)}."
_KNOWN_TIMINGS = f"Unknown timing. Known: {', '.join(_TIMINGS)}."
_BOOLEAN = "Must be true or false."


def preferences_payload(
    *,
    matrix: dict[str, dict[str, bool]],
    push_hides_amounts: bool,
    email_timing: dict[str, str],
    email_hides_amounts: bool,
) -> dict:
    """The preferences' answer: every type's in-app choice at the top level (the original
    `{type: bool}` shape), the whole matrix under "channels", when each type's emails go under
    "email_timing", and the options that hide amounts."""
    return {
        **{type: channels[Channel.IN_APP] for type, channels in matrix.items()},
        CHANNELS_KEY: matrix,
        PUSH_HIDES_AMOUNTS_KEY: push_hides_amounts,
        EMAIL_TIMING_KEY: email_timing,
        EMAIL_HIDES_AMOUNTS_KEY: email_hides_amounts,
    }


class PreferencesSerializer(serializers.Serializer):
    """A change of preferences, any mix of: `"<type>": true|false` (in the app, the original
    shape), `"channels": {"<type>": {"<channel>": true|false}}` (only the cells to change),
    `"email_timing": {"<type>": "immediate"|"daily"|"weekly"}`, `"push_hides_amounts"` and
    `"email_hides_amounts": true|false`. Validated into `{"matrix": {type: {channel: bool}},
    "email_timing": {type: timing}, "push_hides_amounts": bool | None, "email_hides_amounts":
    bool | None}`; each refusal is keyed by its path in the body (`channels.budget_exceeded.fax`)."""

    def to_internal_value(self, data: object) -> dict:
        if not isinstance(data, dict) or not data:
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        'Send {"<type>": true|false}, "channels": {"<type>": {"<channel>": true|false}}, '
                        '"email_timing": {"<type>": "immediate"|"daily"|"weekly"}, '
                        '"push_hides_amounts" or "email_hides_amounts": true|false.'
                    ]
                }
            )
        errors: dict[str, list[str]] = {}
        in_app: dict[str, bool] = {}
        matrix: dict[str, dict[str, bool]] = {}
        email_timing: dict[str, str] = {}
        options: dict[str, bool | None] = dict.fromkeys(_OPTIONS)
        for key, value in data.items():
            if key == CHANNELS_KEY:
                matrix = self._channels(value, errors)
            elif key == EMAIL_TIMING_KEY:
                email_timing = self._email_timing(value, errors)
            elif key in _OPTIONS:
                if isinstance(value, bool):
                    options[key] = value
                else:
                    errors[key] = [_BOOLEAN]
            elif key not in _TYPES:
                errors[key] = [_KNOWN_TYPES]
            elif not isinstance(value, bool):
                errors[key] = [_BOOLEAN]
            else:
                in_app[key] = value
        for type, enabled in in_app.items():
            chosen = matrix.setdefault(type, {}).setdefault(Channel.IN_APP, enabled)
            if chosen != enabled:
                errors[f"{CHANNELS_KEY}.{type}.{Channel.IN_APP}"] = [
                    f'Disagrees with "{type}": {str(enabled).lower()}; send the in-app choice once.'
                ]
        if errors:
            raise serializers.ValidationError(errors)
        return {"matrix": matrix, "email_timing": email_timing, **options}

    @staticmethod
    def _email_timing(value: object, errors: dict[str, list[str]]) -> dict[str, str]:
        if not isinstance(value, dict):
            errors[EMAIL_TIMING_KEY] = [f'Send {{"<type>": "<timing>"}}; timings: {", ".join(_TIMINGS)}.']
            return {}
        timings: dict[str, str] = {}
        for type, timing in value.items():
            path = f"{EMAIL_TIMING_KEY}.{type}"
            if type not in _TYPES:
                errors[path] = [_KNOWN_TYPES]
            elif not isinstance(timing, str) or timing not in _TIMINGS:
                errors[path] = [_KNOWN_TIMINGS]
            else:
                timings[type] = timing
        return timings

    @staticmethod
    def _channels(value: object, errors: dict[str, list[str]]) -> dict[str, dict[str, bool]]:
        if not isinstance(value, dict):
            errors[CHANNELS_KEY] = ['Send {"<type>": {"<channel>": true|false}}.']
            return {}
        matrix: dict[str, dict[str, bool]] = {}
        for type, channels in value.items():
            path = f"{CHANNELS_KEY}.{type}"
            if type not in _TYPES:
                errors[path] = [_KNOWN_TYPES]
            elif not isinstance(channels, dict):
                errors[path] = [f'Send {{"<channel>": true|false}}; channels: {", ".join(_CHANNELS)}.']
            else:
                for channel, enabled in channels.items():
                    if channel not in _CHANNELS:
                        errors[f"{path}.{channel}"] = [_KNOWN_CHANNELS]
                    elif not isinstance(enabled, bool):
                        errors[f"{path}.{channel}"] = [_BOOLEAN]
                    else:
                        matrix.setdefault(type, {})[channel] = enabled
        return matrix


class ChannelChoicesSerializer(serializers.Serializer):
    """One type's row of the matrix (documentation of the preferences' shape)."""

    in_app = serializers.BooleanField(help_text="Stored and shown in the app (the bell, the sockets, the REST API).")
    push = serializers.BooleanField(help_text="Pushed to each of your devices with push turned on.")
    webhook = serializers.BooleanField(help_text="Sent to each of your active webhooks that takes this type.")
    email = serializers.BooleanField(
        help_text="Emailed to your verified primary address, at once or in a digest (see email_timing)."
    )


class ChannelChoicesUpdateSerializer(ChannelChoicesSerializer):
    in_app = serializers.BooleanField(required=False)
    push = serializers.BooleanField(required=False)
    webhook = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)


_CHANNELS_HELP = (
    "The matrix: for each notification type, whether it reaches you in the app, by push, by webhook and by "
    "email. The top-level `<type>` booleans are its in_app column, kept for clients of the original shape."
)
_PUSH_HIDES_AMOUNTS_HELP = "Pushes say what happened without the amounts (lock screens)."
_EMAIL_HIDES_AMOUNTS_HELP = "Emails say what happened without the amounts."
_EMAIL_TIMING_HELP = (
    "When each type's emails go (if its email cell is on): `immediate`, or in the `daily` or `weekly` digest "
    "sent in your morning."
)


def _timing_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=EmailTiming.choices)


NotificationPreferencesDocumented = inline_serializer(
    "NotificationPreferences",
    {
        **{type: serializers.BooleanField(help_text="In the app (the original shape).") for type in _TYPES},
        CHANNELS_KEY: inline_serializer(
            "NotificationChannelMatrix", {type: ChannelChoicesSerializer() for type in _TYPES}, help_text=_CHANNELS_HELP
        ),
        PUSH_HIDES_AMOUNTS_KEY: serializers.BooleanField(help_text=_PUSH_HIDES_AMOUNTS_HELP),
        EMAIL_TIMING_KEY: serializers.DictField(child=_timing_field(), help_text="Every type. " + _EMAIL_TIMING_HELP),
        EMAIL_HIDES_AMOUNTS_KEY: serializers.BooleanField(help_text=_EMAIL_HIDES_AMOUNTS_HELP),
    },
)

NotificationPreferencesUpdateDocumented = inline_serializer(
    "NotificationPreferencesUpdate",
    {
        **{
            type: serializers.BooleanField(required=False, help_text="In the app (the original shape).")
            for type in _TYPES
        },
        CHANNELS_KEY: inline_serializer(
            "NotificationChannelMatrixUpdate",
            {type: ChannelChoicesUpdateSerializer(required=False) for type in _TYPES},
            required=False,
            help_text="Only the cells to change. " + _CHANNELS_HELP,
        ),
        PUSH_HIDES_AMOUNTS_KEY: serializers.BooleanField(required=False, help_text=_PUSH_HIDES_AMOUNTS_HELP),
        EMAIL_TIMING_KEY: serializers.DictField(
            child=_timing_field(), required=False, help_text="Only the types to change. " + _EMAIL_TIMING_HELP
        ),
        EMAIL_HIDES_AMOUNTS_KEY: serializers.BooleanField(required=False, help_text=_EMAIL_HIDES_AMOUNTS_HELP),
    },
)


class DeliverySerializer(serializers.ModelSerializer):
    """One delivery of a notification to one of your devices or webhooks."""

    key = serializers.CharField(
        read_only=True, help_text="The stable id a receiver de-duplicates by (`webhook-id`, the push's `id`)."
    )
    next_attempt_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When it is tried next; null once it is sent or given up."
    )
    target = serializers.SerializerMethodField(
        help_text="Where it goes: the device's browser for a push (or \"a device\"), the URL's host for a webhook."
    )

    class Meta:
        model = Delivery
        fields = (
            "key",
            "channel",
            "state",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "sent_at",
            "created_at",
            "target",
        )
        read_only_fields = fields

    def to_representation(self, delivery: Delivery) -> dict:
        answer = super().to_representation(delivery)
        if delivery.state in (Delivery.State.SENT, Delivery.State.GIVEN_UP):
            answer["next_attempt_at"] = None
        return answer

    def get_target(self, delivery: Delivery) -> str:
        return delivery_target(delivery)


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
