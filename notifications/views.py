from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from budgetpay.ai_limit import UserRateThrottleForAI
from budgetpay.api import Pagination
from notifications import delivery_selectors, delivery_settings, insights, selectors, services
from notifications.filters import NotificationFilter
from notifications.serializers import (
    DeliverySerializer,
    GenerateInsightQuerySerializer,
    GenerateInsightSerializer,
    MarkedSerializer,
    NotificationPreferencesDocumented,
    NotificationPreferencesUpdateDocumented,
    NotificationReadSerializer,
    NotificationSerializer,
    PreferencesSerializer,
    UnreadCountSerializer,
    preferences_payload,
)

PREFERENCES_DESCRIPTION = """What you are told about, and where: in the app, by push, by webhook, by email.

The answer holds every notification type as a top-level boolean, its in-app choice (the
original `{"<type>": true|false}` shape, still read and written as before), the whole
type × channel matrix under `channels`, when each type's emails go under `email_timing`
(`immediate`, or the `daily` or `weekly` digest), `push_hides_amounts` and
`email_hides_amounts`. A PATCH takes any mix of `"<type>": true|false` (in the app),
`"channels": {"<type>": {"<channel>": true|false}}` (only the cells to change),
`"email_timing": {"<type>": "daily"}` and the two options, and answers the whole
preferences. Email goes only to a verified primary address. An unknown type, channel or
timing, or a value that is not a boolean, is refused with a 400 whose `errors` name the
path in the body (`channels.budget_exceeded.fax`).
"""


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
        request=NotificationPreferencesUpdateDocumented,
        responses=NotificationPreferencesDocumented,
        description=PREFERENCES_DESCRIPTION,
    )
    @action(detail=False, methods=["get", "patch"], filter_backends=[], pagination_class=None)
    def preferences(self, request: Request) -> Response:
        if request.method == "PATCH":
            serializer = PreferencesSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            delivery_settings.notification_choices_update(user=request.user, **serializer.validated_data)
        options = delivery_settings.delivery_settings_for(user=request.user)
        answer = preferences_payload(
            matrix=selectors.preference_matrix_for(user=request.user),
            push_hides_amounts=options.push_hides_amounts,
            email_timing=delivery_settings.email_timings_for(user=request.user),
            email_hides_amounts=options.email_hides_amounts,
        )
        return Response(answer, status=status.HTTP_200_OK)

    @extend_schema(responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """This notification's deliveries to your devices (push) and webhooks, oldest first.

        Each is tried until it is sent, with growing pauses over about a day, then given up;
        `key` is the stable id a receiver de-duplicates by (delivery is at least once).
        """
        deliveries = delivery_selectors.deliveries_of(notification=self.get_object())
        return Response(DeliverySerializer(deliveries, many=True).data)

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(
                NotificationSerializer, description="The insight already written for these figures today."
            ),
            201: OpenApiResponse(
                NotificationSerializer, description="A new insight, stored and pushed to your sockets."
            ),
            429: None,
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="generate-budget-insight",
        filter_backends=[],
        pagination_class=None,
        throttle_classes=[UserRateThrottleForAI],
    )
    def generate_budget_insight(self, request: Request) -> Response:
        """The most useful insight for you right now, written by AI (or by rules when AI is off).

        An insight is keyed on its type, the figures that chose it (your month's totals, the
        budgets over their limit, the goals behind) and your date in your own time zone. Asking
        again with the same key answers 200 with the notification already stored, without a
        new row, a push or an AI request (it does not count towards the daily AI limit); a new
        key (other figures, or the next day) writes a new one: 201.
        """
        # A spent day (DailyLimitReached) is answered by the API's exception handler: 429 with Retry-After.
        notification, created = insights.budget_insight_for_now(user=request.user)
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(NotificationSerializer(notification).data, status=answer)

    @extend_schema(
        parameters=[GenerateInsightQuerySerializer],
        request=GenerateInsightSerializer,
        responses={201: NotificationSerializer, 429: None},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="generate-ai",
        filter_backends=[],
        pagination_class=None,
        throttle_classes=[UserRateThrottleForAI],
    )
    def generate_ai(self, request: Request) -> Response:
        """An insight of the type you name, written by AI (or by rules when AI is off); always a new one.

        Name it with `type`, or with the original API's `notification_type` (in the body or the
        query string); `type` wins when both are sent. The original API's `context` is accepted
        and ignored: the model is given figures built from your own ledger, never a client's.
        """
        query = GenerateInsightQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        serializer = GenerateInsightSerializer(
            data=request.data, context={"query_notification_type": query.validated_data.get("notification_type")}
        )
        serializer.is_valid(raise_exception=True)
        notification = insights.insight_generate(
            user=request.user, insight_type=serializer.validated_data["type"], focus=serializer.validated_data["focus"]
        )
        return Response(NotificationSerializer(notification).data, status=status.HTTP_201_CREATED)
