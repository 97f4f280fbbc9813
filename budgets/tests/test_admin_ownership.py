"""The budget admin refuses a budget on another person's category, as the API does."""

from datetime import date
from decimal import Decimal
from functools import partial

import pytest

from budgetpay.testing.admin import assert_admin_refuses_another_persons, refused
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
    budget = budget_create(user=user, amount=Decimal("300.00"), category=own, start_date=date(2026, 11, 1))
    assert_admin_refuses_another_persons(
        admin_client,
        budget,
        field="category",
        message=EXPENSE_CATEGORY_REQUIRED,
        form=partial(budget_form, user),
        foreign=graces,
        change={"amount": "350.00"},
    )


def test_the_services_refuse_the_same_with_the_same_message(user, foods):
    own, graces = foods
    with refused("category", EXPENSE_CATEGORY_REQUIRED):
        budget_create(user=user, amount=Decimal("300.00"), category=graces)
    budget = budget_create(user=user, amount=Decimal("300.00"), category=own)
    with refused("category", EXPENSE_CATEGORY_REQUIRED):
        budget_update(budget=budget, category=graces)
    assert Budget.objects.get().category == own
