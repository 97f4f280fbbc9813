from django.urls import re_path

from budgetpay.api import OptionalSlashRouter
from budgets import views

router = OptionalSlashRouter()
router.register("budgets", views.BudgetViewSet, basename="budget")

urlpatterns = [
    re_path(r"^reports/summary/?$", views.SummaryView.as_view(), name="report-summary"),
    re_path(r"^reports/cashflow/?$", views.CashflowView.as_view(), name="report-cashflow"),
    *router.urls,
]
