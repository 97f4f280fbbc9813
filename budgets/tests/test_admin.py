from datetime import date
from decimal import Decimal

import pytest

from budgetpay.testing.people import make_user, page_client_for
from budgets.models import Budget

pytestmark = pytest.mark.django_db


def test_budget_admin_lists_searches_and_edits(user, books):
    budget = Budget.objects.create(user=user, category=books.food, amount=Decimal("10.00"), start_date=date(2026, 1, 1))
    client = page_client_for(make_user("admin@example.com", is_staff=True, is_superuser=True))
    listing = client.get("/admin/budgets/budget/", {"q": "Groceries", "period__exact": "monthly"})
    assert listing.status_code == 200
    assert "Groceries" in listing.content.decode()
    assert client.get(f"/admin/budgets/budget/{budget.pk}/change/").status_code == 200
