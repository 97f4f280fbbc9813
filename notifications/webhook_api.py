"""The signed-in person's webhooks under /api/v1/ (docs/webhooks.md): /webhooks CRUD, a test
event, a new secret, and each webhook's delivery log at /webhooks/{id}/deliveries."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from budgetpay.api import OptionalSlashRouter, ServiceViewSetMixin
from notifications import webhooks
from notifications.models import Delivery, Webhook
from notifications.webhook_serializers import (
    WebhookCreateSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
    WebhookWithSecretSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="Your webhooks."),
    create=extend_schema(
        summary="Add a webhook; the answer carries its signing secret, shown this once.",
        request=WebhookCreateSerializer,
        responses={201: WebhookWithSecretSerializer},
    ),
    retrieve=extend_schema(summary="One of your webhooks (its secret's hint, never the secret)."),
    partial_update=extend_schema(
        summary="Change a webhook's URL, description, types, or turn it off and on "
        "(turning it on clears its run of failures)."
    ),
    destroy=extend_schema(summary="Delete a webhook; what still waits for it is given up."),
)
@extend_schema(tags=["webhooks"])
class WebhookViewSet(ServiceViewSetMixin, viewsets.ModelViewSet):
    """Endpoints of yours that receive your notifications, signed per Standard Webhooks."""

    queryset = Webhook.objects.none()
    serializer_class = WebhookSerializer
    selector = staticmethod(webhooks.webhook_list)
    update_service = staticmethod(webhooks.webhook_update)
    delete_service = staticmethod(webhooks.webhook_delete)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        return WebhookCreateSerializer if self.action == "create" else WebhookSerializer

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook, _secret = webhooks.webhook_create(user=request.user, **serializer.validated_data)
        return Response(WebhookWithSecretSerializer(webhook).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={202: OpenApiResponse(WebhookDeliverySerializer, description="The test event, on its way.")},
    )
    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request: Request, pk: str | None = None) -> Response:
        """Send a `webhook.test` event to this webhook now; follow it in its delivery log."""
        delivery = webhooks.webhook_send_test(webhook=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=WebhookWithSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """A new signing secret, shown this once; the old one stops working at once."""
        webhook, _secret = webhooks.webhook_rotate_secret(webhook=self.get_object())
        return Response(WebhookWithSecretSerializer(webhook).data)


@extend_schema_view(list=extend_schema(summary="A webhook's delivery log, newest first, with every try."))
@extend_schema(tags=["webhooks"], parameters=[OpenApiParameter("webhook_pk", OpenApiTypes.INT, OpenApiParameter.PATH)])
class WebhookDeliveryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Deliveries to one of your webhooks, at /webhooks/{webhook_pk}/deliveries."""

    queryset = Delivery.objects.none()
    serializer_class = WebhookDeliverySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        webhook = get_object_or_404(webhooks.webhook_list(user=self.request.user), pk=self.kwargs["webhook_pk"])
        return webhooks.webhook_deliveries(webhook=webhook)


router = OptionalSlashRouter()
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register(r"webhooks/(?P<webhook_pk>\d+)/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
