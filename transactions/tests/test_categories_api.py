from decimal import Decimal

import pytest

from budgetpay.testing.api import assert_refused_naming, bad_values
from budgetpay.testing.factories import make_transaction
from transactions.models import Category, Transaction

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/v1/categories"


def test_list_and_filter_by_kind(auth_client):
    names = [row["name"] for row in auth_client.get(CATEGORIES, {"kind": "income"}).json()["results"]]
    assert names == ["Salary"]
    expense_names = {row["name"] for row in auth_client.get(CATEGORIES, {"kind": "expense"}).json()["results"]}
    assert expense_names == {"Food", "Travel", "Shopping", "Misc", "Housing"}


def test_create_update_and_read(auth_client, user):
    response = auth_client.post(CATEGORIES, {"name": "Gifts", "kind": "income", "color": "#aabbcc"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["kind"], body["color"], body["income_percentage"]) == (
        "Gifts",
        "income",
        "#aabbcc",
        None,
    )
    renamed = auth_client.patch(f"{CATEGORIES}/{body['id']}", {"name": "Presents"}, format="json")
    assert renamed.status_code == 200
    assert Category.objects.get(pk=body["id"]).name == "Presents"


BAD_CATEGORY_FIELDS = bad_values(color=["red"], kind=["transfer"], name=[""], income_percentage=["101", "-1", "abc"])


@pytest.mark.parametrize(("field", "value"), BAD_CATEGORY_FIELDS)
def test_bad_fields_are_400_naming_the_field(auth_client, field, value):
    response = auth_client.post(CATEGORIES, {"name": "Pets", field: value}, format="json")
    assert_refused_naming(response, field)
    assert not Category.objects.filter(name="Pets").exists()


def test_income_percentages_never_sum_past_100(auth_client, user, food):
    # The defaults plan 70%.
    full = auth_client.post(CATEGORIES, {"name": "Pets", "income_percentage": "30.01"}, format="json")
    assert full.status_code == 400
    assert list(full.json()["errors"]) == ["income_percentage"]

    assert auth_client.patch(f"{CATEGORIES}/{food.pk}", {"income_percentage": "10"}, format="json").status_code == 200
    assert auth_client.post(CATEGORIES, {"name": "Pets", "income_percentage": "35"}, format="json").status_code == 201
    over = auth_client.patch(f"{CATEGORIES}/{food.pk}", {"income_percentage": "10.01"}, format="json")
    assert over.status_code == 400
    assert "income_percentage" in over.json()["errors"]
    planned = sum(c.income_percentage or 0 for c in Category.objects.filter(user=user))
    assert planned == Decimal("100")


def test_income_categories_plan_no_share_of_income(auth_client):
    response = auth_client.post(
        CATEGORIES, {"name": "Bonus", "kind": "income", "income_percentage": "0"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["income_percentage"]


def test_names_are_unique_per_user_and_kind_ignoring_case(auth_client):
    assert auth_client.post(CATEGORIES, {"name": "FOOD"}, format="json").status_code == 400
    assert auth_client.post(CATEGORIES, {"name": "Food", "kind": "income"}, format="json").status_code == 201


def test_deleting_a_category_keeps_its_transactions_uncategorised(auth_client, main_account, food):
    tx = make_transaction(main_account, amount="9.99", category=food)
    assert auth_client.delete(f"{CATEGORIES}/{food.pk}").status_code == 204
    tx.refresh_from_db()
    assert tx.category is None
    assert Transaction.objects.filter(pk=tx.pk).exists()


def test_kind_cannot_change_once_transactions_use_the_category(auth_client, main_account, user):
    response = auth_client.post(CATEGORIES, {"name": "Side job"}, format="json")
    category = Category.objects.get(pk=response.json()["id"])
    assert auth_client.patch(f"{CATEGORIES}/{category.pk}", {"kind": "income"}, format="json").status_code == 200
    make_transaction(main_account, amount="50.00", kind="income", category=category)
    blocked = auth_client.patch(f"{CATEGORIES}/{category.pk}", {"kind": "expense"}, format="json")
    assert blocked.status_code == 400
    assert list(blocked.json()["errors"]) == ["kind"]


@pytest.mark.parametrize("count", [5, 50])
def test_the_list_runs_a_fixed_number_of_queries(auth_client, user, count, django_assert_max_num_queries):
    Category.objects.bulk_create(Category(user=user, name=f"Extra {i}") for i in range(count))
    with django_assert_max_num_queries(3):
        response = auth_client.get(CATEGORIES, {"page_size": 200})
    assert response.json()["count"] == count + 6
