"""A person's quiet hours under /api/v1/ (notifications.quiet_hours): GET them, PATCH
`{"start": "22:00", "end": "07:00"}` to set them, `{"start": null, "end": null}` to turn
them off. Times are the person's local wall-clock times (their profile's time zone)."""

from datetime import time

from django.urls import re_path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import quiet_hours

TIME_FORMAT_MESSAGE = "Use a 24-hour time as HH:MM, for example 22:00 or 07:30."
_DIGITS = frozenset("0123456789")


@extend_schema_field({"type": "string", "example": "22:00", "nullable": True})
class WallTimeField(serializers.Field):
    """A local time of day as "HH:MM" (00:00 to 23:59), or null."""

    default_error_messages = {"invalid": TIME_FORMAT_MESSAGE}

    def __init__(self, **kwargs) -> None:
        super().__init__(allow_null=True, **kwargs)

    def to_internal_value(self, data: object) -> time:
        # Five characters checked one by one: nothing a person sends is parsed further.
        if not isinstance(data, str) or len(data) != 5 or data[2] != ":" or not _DIGITS.issuperset(data[:2] + data[3:]):
            self.fail("invalid")
        hour, minute = int(data[:2]), int(data[3:])
        if hour > 23 or minute > 59:
            self.fail("invalid")
        return time(hour, minute)

    def to_representation(self, value: time) -> str:
        return value.strftime("%H:%M")


class QuietHoursSerializer(serializers.Serializer):
    start = WallTimeField(required=False, help_text="When quiet hours begin (HH:MM, your time); null: off.")
    end = WallTimeField(
        required=False, help_text="When they end (HH:MM, your time; before `start`: the next morning); null: off."
    )
    timezone = serializers.CharField(read_only=True, help_text="Your time zone, which the times are in (profile).")
    quiet_until = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="While you are in quiet hours now: when they end; else null."
    )


def _answer(user) -> Response:
    start, end = quiet_hours.quiet_hours_of(user=user)
    until = quiet_hours.hold(user_id=user.pk, now=timezone.now()) if start is not None else None
    data = {"start": start, "end": end, "timezone": user.timezone, "quiet_until": until}
    return Response(QuietHoursSerializer(data).data)


class QuietHoursView(APIView):
    """Your quiet hours: no push and no immediate email between `start` and `end` (your local
    time); what arrives meanwhile comes as one summary per device at the end, and immediate
    emails join your daily digest. The app and its live updates are never held."""

    @extend_schema(responses=QuietHoursSerializer)
    def get(self, request: Request) -> Response:
        return _answer(request.user)

    @extend_schema(request=QuietHoursSerializer, responses=QuietHoursSerializer)
    def patch(self, request: Request) -> Response:
        """Set both `start` and `end`, or both to null to turn quiet hours off (a field left
        out keeps its value)."""
        serializer = QuietHoursSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not serializer.validated_data:
            raise exceptions.ValidationError(quiet_hours.BOTH_OR_NEITHER)
        start, end = quiet_hours.quiet_hours_of(user=request.user)
        # The service's ValidationError (both or neither, start == end) answers 400 (budgetpay.api).
        quiet_hours.quiet_hours_update(
            user=request.user,
            start=serializer.validated_data.get("start", start),
            end=serializer.validated_data.get("end", end),
        )
        return _answer(request.user)


urlpatterns = [
    re_path(r"^notification/quiet-hours/?$", QuietHoursView.as_view(), name="notification-quiet-hours"),
]
