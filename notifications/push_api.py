"""The push API (mounted under /api/v1/): a browser's or app's Web Push subscription, as the
browser's own `PushSubscription.toJSON()` gives it, and the site's VAPID public key it subscribes with."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import re_path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from notifications import push
from notifications.models import PushSubscription

# The service's argument names as the API's body names them.
_FIELD_NAMES = {"endpoint": "endpoint", "p256dh": "keys.p256dh", "auth": "keys.auth"}


class PushKeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(
        max_length=200, trim_whitespace=False, help_text="The browser's P-256 public key, base64url (65 bytes)."
    )
    auth = serializers.CharField(
        max_length=100, trim_whitespace=False, help_text="The browser's auth secret, base64url (16 bytes)."
    )


class PushSubscriptionSerializer(serializers.Serializer):
    """A browser's `PushSubscription.toJSON()`."""

    endpoint = serializers.CharField(
        max_length=push.MAX_ENDPOINT_LENGTH,
        trim_whitespace=False,
        help_text="The push service's URL for this browser (https).",
    )
    # The browser's own name for it.
    expirationTime = serializers.FloatField(
        required=False, allow_null=True, help_text="Accepted and ignored (browsers send null)."
    )
    keys = PushKeysSerializer()


class PushEndpointSerializer(serializers.Serializer):
    endpoint = serializers.CharField(
        max_length=push.MAX_ENDPOINT_LENGTH, trim_whitespace=False, help_text="The subscription's endpoint URL."
    )


class PushDeviceSerializer(serializers.ModelSerializer):
    """A device that receives pushes (without its keys)."""

    class Meta:
        model = PushSubscription
        fields = ("id", "endpoint", "user_agent", "created_at", "last_success_at")
        read_only_fields = fields


class PushKeySerializer(serializers.Serializer):
    public_key = serializers.CharField(
        help_text="The VAPID public key (base64url): pushManager.subscribe()'s applicationServerKey."
    )
    enabled = serializers.BooleanField(help_text="Whether this site sends pushes (its VAPID keys are set).")


def _flat(errors: dict, prefix: str = "") -> dict:
    """A nested serializer's errors under dotted names: {"keys": {"auth": [...]}} → {"keys.auth": [...]}."""
    flat = {}
    for field, value in errors.items():
        if prefix:
            name = prefix if field == api_settings.NON_FIELD_ERRORS_KEY else f"{prefix}.{field}"
        else:
            name = field
        if isinstance(value, dict):
            flat.update(_flat(value, name))
        else:
            flat[name] = value
    return flat


def _validated(serializer_class: type[serializers.Serializer], data: object) -> dict:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise exceptions.ValidationError(_flat(serializer.errors))
    return serializer.validated_data


class PushSubscriptionsView(APIView):
    """The signed-in person's devices that receive push notifications."""

    @extend_schema(responses=PushDeviceSerializer(many=True))
    def get(self, request: Request) -> Response:
        devices = push.push_subscriptions_for(user=request.user)
        return Response(PushDeviceSerializer(devices, many=True).data)

    @extend_schema(
        request=PushSubscriptionSerializer,
        responses={
            201: OpenApiResponse(PushDeviceSerializer, description="The device now receives your pushes."),
            200: OpenApiResponse(PushDeviceSerializer, description="Already stored for you (its keys refreshed)."),
        },
    )
    def post(self, request: Request) -> Response:
        """Send pushes to this browser: post its `PushSubscription.toJSON()`.

        The endpoint must be an https URL of a push service (not a private address). An
        endpoint stored for another person moves to you. You keep your newest 20 devices.
        """
        data = _validated(PushSubscriptionSerializer, request.data)
        try:
            subscription, created = push.push_subscription_save(
                user=request.user,
                endpoint=data["endpoint"],
                p256dh=data["keys"]["p256dh"],
                auth=data["keys"]["auth"],
                user_agent=request.headers.get("User-Agent", ""),
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(
                {_FIELD_NAMES.get(field, field): messages for field, messages in exc.message_dict.items()}
            ) from None
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(PushDeviceSerializer(subscription).data, status=answer)

    @extend_schema(request=PushEndpointSerializer, responses={204: None})
    def delete(self, request: Request) -> Response:
        """Stop pushes to a device: send its endpoint (404 when it is not one of yours)."""
        data = _validated(PushEndpointSerializer, request.data)
        if not push.push_subscription_delete(user=request.user, endpoint=data["endpoint"]):
            raise exceptions.NotFound("No device of yours has this endpoint.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class PushKeyView(APIView):
    """The key a browser subscribes with, and whether this site sends pushes at all."""

    @extend_schema(responses=PushKeySerializer)
    def get(self, request: Request) -> Response:
        return Response({"public_key": push.vapid_public_key(), "enabled": push.push_enabled()})


urlpatterns = [
    re_path(
        r"^notification/push-subscriptions/?$",
        PushSubscriptionsView.as_view(),
        name="notification-push-subscriptions",
    ),
    re_path(r"^notification/push-key/?$", PushKeyView.as_view(), name="notification-push-key"),
]
