from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from budgetpay.api import Pagination, UserRateThrottleForAI
from chatbot.llm import DailyLimitReached
from notifications import insights, selectors, services
from notifications.filters import NotificationFilter
from notifications.serializers import (
    GenerateInsightSerializer,
    MarkedSerializer,
    NotificationReadSerializer,
    NotificationSerializer,
    PreferencesSerializer,
    UnreadCountSerializer,
)


class NotificationPagination(Pagination):
    """Pages of notifications that also carry the unread count (the seed's inbox shape)."""

    def get_paginated_response(self, data) -> Response:
        response = super().get_paginated_response(data)
        response.data["unread_count"] = selectors.unread_count(user_id=self.request.user.pk)
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["unread_count"] = {"type": "integer", "example": 3}
        paginated["required"] = [*paginated.get("required", []), "unread_count"]
        return paginated


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The signed-in person's notifications, newest first (the seed's paths)."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    pagination_class = NotificationPagination
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular builds the schema without a user
            return selectors.Notification.objects.none()
        return selectors.notifications_for(user=self.request.user).order_by("-id")

    @extend_schema(request=NotificationReadSerializer, responses=NotificationSerializer)
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        serializer = NotificationReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notification = services.notification_mark_read(
            notification=self.get_object(), is_read=serializer.validated_data["is_read"]
        )
        return Response(NotificationSerializer(notification).data)

    def perform_destroy(self, instance) -> None:
        services.notification_delete(notification=instance)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = services.notification_mark_read(notification=self.get_object())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read_all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked": services.notification_mark_all_read(user=request.user)})

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count", filter_backends=[], pagination_class=None)
    def unread_count(self, request: Request) -> Response:
        return Response({"unread_count": selectors.unread_count(user_id=request.user.pk)})

    @extend_schema(
        request=inline_serializer("NotificationPreferencesUpdate", {"<type>": serializers.BooleanField()}),
        responses=inline_serializer(
            "NotificationPreferences", {value: serializers.BooleanField() for value in NotificationSerializer.Meta.model.Type.values}
        ),
    )
    @action(detail=False, methods=["get", "patch"], filter_backends=[], pagination_class=None)
    def preferences(self, request: Request) -> Response:
        if request.method == "PATCH":
            serializer = PreferencesSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.preferences_update(user=request.user, changes=serializer.validated_data)
        return Response(selectors.preferences_for(user=request.user), status=status.HTTP_200_OK)

    @extend_schema(request=None, responses={201: NotificationSerializer, 429: None})
    @action(
        detail=False,
        methods=["post"],
        url_path="generate-budget-insight",
        filter_backends=[],
        pagination_class=None,
        throttle_classes=[UserRateThrottleForAI],
    )
    def generate_budget_insight(self, request: Request) -> Response:
        """The most useful insight for you right now, written by AI (or by rules when AI is off)."""
        return self._generate(request, insight_type=None, focus="")

    @extend_schema(request=GenerateInsightSerializer, responses={201: NotificationSerializer, 429: None})
    @action(
        detail=False,
        methods=["post"],
        url_path="generate-ai",
        filter_backends=[],
        pagination_class=None,
        throttle_classes=[UserRateThrottleForAI],
    )
    def generate_ai(self, request: Request) -> Response:
        serializer = GenerateInsightSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._generate(request, insight_type=serializer.validated_data["type"], focus=serializer.validated_data["focus"])

    def _generate(self, request: Request, *, insight_type: str | None, focus: str) -> Response:
        try:
            notification = insights.insight_generate(user=request.user, insight_type=insight_type, focus=focus)
        except DailyLimitReached as exc:
            return Response(
                {"message": str(exc), "code": "ai_daily_limit"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(exc.retry_after)},
            )
        return Response(NotificationSerializer(notification).data, status=status.HTTP_201_CREATED)
