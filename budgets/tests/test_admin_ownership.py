"""The budget admin refuses a budget on another person's category, as the API does."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from budgets.models import EXPENSE_CATEGORY_REQUIRED, Budget
from budgets.services import budget_create, budget_update
from transactions.models import Category

pytestmark = pytest.mark.django_db


def budget_form(owner, category, **fields) -> dict:
    return {
        "user": owner.pk,
        "name": "",
        "category": category.pk,
        "amount": "300.00",
        "period": "monthly",
        "start_date": "2026-11-01",
        "rollover": "",
        "thresholds": "[80, 100]",
        **fields,
    }


@pytest.fixture
def foods(user, other_user) -> tuple[Category, Category]:
    return (
        Category.objects.get(user=user, name="Food", kind="expense"),
        Category.objects.get(user=other_user, name="Food", kind="expense"),
    )


def test_admin_cannot_add_or_change_a_budget_onto_another_persons_category(admin_client, user, foods):
    own, graces = foods
    added = admin_client.post("/admin/budgets/budget/add/", budget_form(user, graces))
    assert added.status_code == 200
    assert added.context["adminform"].form.errors["category"] == [EXPENSE_CATEGORY_REQUIRED]
    assert not Budget.objects.exists()

    budget = budget_create(user=user, amount=Decimal("300.00"), category=own, start_date=date(2026, 11, 1))
    changed = admin_client.post(f"/admin/budgets/budget/{budget.pk}/change/", budget_form(user, graces))
    assert changed.context["adminform"].form.errors["category"] == [EXPENSE_CATEGORY_REQUIRED]
    budget.refresh_from_db()
    assert budget.category == own

    kept = admin_client.post(f"/admin/budgets/budget/{budget.pk}/change/", budget_form(user, own, amount="350.00"))
    assert kept.status_code == 302
    budget.refresh_from_db()
    assert budget.amount == Decimal("350.00")


def test_the_services_refuse_the_same_with_the_same_message(user, foods):
    own, graces = foods
    with pytest.raises(ValidationError) as created:
        budget_create(user=user, amount=Decimal("300.00"), category=graces)
    assert created.value.message_dict == {"category": [EXPENSE_CATEGORY_REQUIRED]}
    budget = budget_create(user=user, amount=Decimal("300.00"), category=own)
    with pytest.raises(ValidationError) as updated:
        budget_update(budget=budget, category=graces)
    assert updated.value.message_dict == {"category": [EXPENSE_CATEGORY_REQUIRED]}
    assert Budget.objects.get().category == own
