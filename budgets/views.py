from datetime import date

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from budgetpay.api import ServiceViewSetMixin
from budgetpay.periods import user_today
from budgets import reports, selectors, services
from budgets.models import Budget
from budgets.serializers import (
    BudgetSerializer,
    BudgetStatusListSerializer,
    BudgetStatusSerializer,
    CashflowQuerySerializer,
    CashflowSerializer,
    DateQuerySerializer,
    SummaryQuerySerializer,
    SummarySerializer,
)


def date_param(request: Request) -> date:
    """The `date` query parameter, else today in the user's timezone."""
    params = DateQuerySerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data.get("date") or user_today(request.user)


@extend_schema(tags=["budgets"])
class BudgetViewSet(ServiceViewSetMixin, viewsets.ModelViewSet):
    """Spending limits per week, month or year, for one expense category or all spending."""

    queryset = Budget.objects.none()
    serializer_class = BudgetSerializer
    selector = staticmethod(selectors.budget_list)
    create_service = staticmethod(services.budget_create)
    update_service = staticmethod(services.budget_update)
    delete_service = staticmethod(services.budget_delete)

    @extend_schema(parameters=[DateQuerySerializer], responses=BudgetStatusSerializer)
    @action(detail=True, methods=["get"], url_path="status", url_name="status")
    def period_status(self, request: Request, pk: str) -> Response:
        """The budget's status in its period containing `date`."""
        budget = self.get_object()
        on = date_param(request)
        try:
            status = selectors.budget_status(budget=budget, on=on)
        except selectors.BudgetNotStarted as exc:
            raise serializers.ValidationError({"date": [str(exc)]}) from exc
        return Response(BudgetStatusSerializer(status).data)

    @extend_schema(
        parameters=[DateQuerySerializer], responses=BudgetStatusListSerializer, operation_id="budgets_status_list"
    )
    @action(detail=False, methods=["get"], url_path="status", url_name="status-list", pagination_class=None)
    def period_statuses(self, request: Request) -> Response:
        """The status of every budget that has started by `date`."""
        on = date_param(request)
        statuses = selectors.budget_statuses(user=request.user, on=on)
        return Response(BudgetStatusListSerializer({"date": on, "results": statuses}).data)


@extend_schema(tags=["reports"])
class SummaryView(APIView):
    """Income, spending and net for the week, month or year containing `date`, by category
    and per day, compared with the period before; other currencies beside, never added in."""

    @extend_schema(parameters=[SummaryQuerySerializer], responses=SummarySerializer)
    def get(self, request: Request) -> Response:
        params = SummaryQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        on = params.validated_data.get("date") or user_today(request.user)
        summary = reports.report_summary(user=request.user, period=params.validated_data["period"], on=on)
        return Response(SummarySerializer(summary).data)


@extend_schema(tags=["reports"])
class CashflowView(APIView):
    """Income, spending and net per day, week or month, zero-filled, in your currency."""

    @extend_schema(parameters=[CashflowQuerySerializer], responses=CashflowSerializer)
    def get(self, request: Request) -> Response:
        params = CashflowQuerySerializer(data=request.query_params, context={"today": user_today(request.user)})
        params.is_valid(raise_exception=True)
        buckets = reports.report_cashflow(user=request.user, **params.validated_data)
        body = {**params.validated_data, "currency": request.user.currency, "results": buckets}
        return Response(CashflowSerializer(body).data)
