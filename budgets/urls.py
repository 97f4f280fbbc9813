"""The budgets' pages (the API is in api_urls.py). The dashboard is the front page, "/",
named `home` by the composition root (budgetpay/urls.py)."""

from django.urls import path

from budgets import pages

app_name = "budgets"

urlpatterns = [
    path("budgets/", pages.budget_list_page, name="list"),
    *pages.BUDGET_PAGES.paths("budgets/"),
]
