from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from budgetpay.api import ServiceViewSetMixin
from budgetpay.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from budgetpay.periods import user_today
from goals import selectors, services
from goals.models import Goal, GoalEntry
from goals.serializers import GoalEntrySerializer, GoalSerializer, SavingsProgressSerializer, SavingsQuerySerializer


@extend_schema(tags=["goals"])
class GoalViewSet(ServiceViewSetMixin, viewsets.ModelViewSet):
    """Saving goals, each with its progress as of today in your timezone."""

    queryset = Goal.objects.none()
    serializer_class = GoalSerializer
    selector = staticmethod(selectors.goal_list)
    create_service = staticmethod(services.goal_create)
    update_service = staticmethod(services.goal_update)
    delete_service = staticmethod(services.goal_delete)
    refetch_after_create = True

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "today": user_today(self.request.user)}

    @extend_schema(parameters=[SavingsQuerySerializer], responses=SavingsProgressSerializer)
    @action(detail=False, methods=["get"], url_path="progress", url_name="progress", pagination_class=None)
    def savings(self, request: Request) -> Response:
        """Saving in the day, week, month or year containing `date` against your monthly
        savings target (the sum of required_per_month over unachieved goals with a target date)."""
        params = SavingsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        today = user_today(request.user)
        progress = selectors.savings_progress(
            user=request.user,
            period=params.validated_data["period"],
            on=params.validated_data.get("date") or today,
            today=today,
        )
        return Response(SavingsProgressSerializer(progress).data)


@extend_schema_view(
    list=extend_schema(summary="A goal's contributions and withdrawals, newest first."),
    create=extend_schema(summary="Contribute to or withdraw from a goal; saved never goes below zero."),
    destroy=extend_schema(summary="Delete an entry of a goal."),
)
@extend_schema(tags=["goals"], parameters=[OpenApiParameter("goal_pk", OpenApiTypes.INT, OpenApiParameter.PATH)])
class GoalEntryViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Entries of one goal, at /goals/{goal_pk}/entries and /goals/{goal_pk}/entries/{id}."""

    queryset = GoalEntry.objects.none()  # the model for the schema; get_queryset scopes to the goal
    serializer_class = GoalEntrySerializer
    lookup_value_regex = r"\d+"

    def get_goal(self) -> Goal:
        if not hasattr(self, "_goal"):
            goals = Goal.objects.filter(user=self.request.user).select_related("user")
            self._goal = get_object_or_404(goals, pk=self.kwargs["goal_pk"])
        return self._goal

    def get_queryset(self):
        return GoalEntry.objects.filter(goal=self.get_goal())

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request: Request, *args, **kwargs) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: GoalEntrySerializer) -> None:
        serializer.instance = services.goal_entry_create(goal=self.get_goal(), **serializer.validated_data)

    def perform_destroy(self, instance: GoalEntry) -> None:
        services.goal_entry_delete(entry=instance)
