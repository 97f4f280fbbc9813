"""The `is_fixed` flag on categories (payments of a set size once a period, such as rent):
on for a new person's Housing, set through the API and the category page, and switched on
by the migration for the Housing and Rent categories that existed before it."""

import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from budgetpay.testing.people import make_user, page_client_for
from transactions.models import Category

CATEGORIES = "/api/v1/categories"
BEFORE = [("transactions", "0002_restrict_account_deletion")]
AFTER = [("transactions", "0003_category_is_fixed")]


@pytest.mark.django_db
def test_a_new_persons_housing_is_fixed_and_nothing_else(auth_client):
    rows = auth_client.get(CATEGORIES).json()["results"]
    assert {row["name"]: row["is_fixed"] for row in rows} == {
        "Food": False,
        "Travel": False,
        "Shopping": False,
        "Misc": False,
        "Housing": True,
        "Salary": False,
    }


@pytest.mark.django_db
def test_is_fixed_is_set_and_changed_through_the_api(auth_client, user):
    created = auth_client.post(CATEGORIES, {"name": "Car loan", "is_fixed": True}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["is_fixed"] is True
    plain = auth_client.post(CATEGORIES, {"name": "Pets"}, format="json").json()
    assert plain["is_fixed"] is False  # off unless asked for

    changed = auth_client.patch(f"{CATEGORIES}/{created.json()['id']}", {"is_fixed": False}, format="json")
    assert changed.status_code == 200 and changed.json()["is_fixed"] is False
    assert Category.objects.get(user=user, name="Car loan").is_fixed is False

    refused = auth_client.patch(f"{CATEGORIES}/{plain['id']}", {"is_fixed": "sometimes"}, format="json")
    assert refused.status_code == 400 and "is_fixed" in refused.json()["errors"]


@pytest.mark.django_db
def test_is_fixed_is_set_on_the_category_page(user):
    client = page_client_for(user)
    form = client.get("/ledger/categories/new/").content.decode()
    assert 'name="is_fixed"' in form and "Fixed payment" in form

    created = client.post(
        "/ledger/categories/new/", {"name": "Mortgage", "kind": "expense", "color": "#9a6700", "is_fixed": "on"}
    )
    assert created.status_code == 302
    mortgage = Category.objects.get(user=user, name="Mortgage")
    assert mortgage.is_fixed is True

    edit = client.get(f"/ledger/categories/{mortgage.pk}/edit/").content.decode()
    assert re.search(r'<input type="checkbox" name="is_fixed"[^>]* checked>', edit)
    # An unticked box is not sent: the category is no longer fixed.
    saved = client.post(
        f"/ledger/categories/{mortgage.pk}/edit/", {"name": "Mortgage", "kind": "expense", "color": "#9a6700"}
    )
    assert saved.status_code == 302
    mortgage.refresh_from_db()
    assert mortgage.is_fixed is False


@pytest.mark.django_db(transaction=True)
def test_the_migration_marks_existing_housing_and_rent_categories_fixed():
    person = make_user("before@example.com")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old_apps = executor.loader.project_state(BEFORE).apps
        OldCategory = old_apps.get_model("transactions", "Category")
        OldCategory.objects.filter(user_id=person.pk, name="Housing").update(name="HOUSING")
        others = (("Rent", "expense"), ("Rental income", "income"), ("Rent", "income"), ("Utilities", "expense"))
        for name, kind in others:
            OldCategory.objects.create(user_id=person.pk, name=name, kind=kind, color="#6e7781")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    fixed = Category.objects.filter(user=person).values_list("name", "kind", "is_fixed")
    assert sorted(fixed) == [
        ("Food", "expense", False),
        ("HOUSING", "expense", True),
        ("Misc", "expense", False),
        ("Rent", "expense", True),
        ("Rent", "income", False),
        ("Rental income", "income", False),
        ("Salary", "income", False),
        ("Shopping", "expense", False),
        ("Travel", "expense", False),
        ("Utilities", "expense", False),
    ]
