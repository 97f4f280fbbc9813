"""Every endpoint sees only the requesting user's rows: another user's ids are 404 in
the path and 400 in the input, and never change anything."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from budgetpay.testing.factories import make_account, make_transaction
from transactions.models import Account, Category, Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada_rows(user, main_account, food):
    savings = make_account(user, name="Savings")
    return {
        "accounts": main_account,
        "categories": food,
        "transactions": make_transaction(main_account, amount="3.00", category=food),
        "transfer": make_transaction(main_account, amount="9.00", kind="transfer", transfer_account=savings),
    }


@pytest.mark.parametrize("resource", ["accounts", "categories", "transactions"])
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_another_users_object_is_404_and_untouched(other_client, ada_rows, resource, method):
    row = ada_rows[resource]
    before = type(row).objects.values().get(pk=row.pk)
    body = {"name": "Hacked", "description": "Hacked", "amount": "1.00"} if method in ("put", "patch") else None
    response = getattr(other_client, method)(f"/api/v1/{resource}/{row.pk}", body, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert type(row).objects.values().get(pk=row.pk) == before


@pytest.mark.parametrize("resource", ["accounts", "categories", "transactions"])
def test_lists_hold_only_the_users_own_rows(auth_client, other_client, other_user, ada_rows, resource):
    mine = {row["id"] for row in auth_client.get(f"/api/v1/{resource}", {"page_size": 200}).json()["results"]}
    theirs = {row["id"] for row in other_client.get(f"/api/v1/{resource}", {"page_size": 200}).json()["results"]}
    model = {"accounts": Account, "categories": Category, "transactions": Transaction}[resource]
    assert theirs == set(model.objects.filter(user=other_user).values_list("pk", flat=True))
    assert mine and not mine & theirs


@pytest.mark.parametrize("field", ["account", "category", "transfer_account"])
def test_referencing_another_users_row_in_a_transaction_is_400(other_client, other_user, ada_rows, field):
    grace_account = Account.objects.get(user=other_user)
    grace_savings = make_account(other_user, name="Savings")
    body = {"account": grace_account.pk, "amount": "5.00", "kind": "expense"}
    if field == "account":
        body["account"] = ada_rows["accounts"].pk
    elif field == "category":
        body["category"] = ada_rows["categories"].pk
    else:
        body.update(kind="transfer", transfer_account=ada_rows["accounts"].pk)
    response = other_client.post("/api/v1/transactions", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]

    own = make_transaction(grace_account, amount="1.00", kind="transfer", transfer_account=grace_savings)
    patched = other_client.patch(f"/api/v1/transactions/{own.pk}", {field: body[field]}, format="json")
    assert patched.status_code == 400
    assert field in patched.json()["errors"]
    assert Transaction.objects.filter(user=other_user).count() == 1


def test_filtering_by_another_users_account_or_category_is_400(other_client, ada_rows):
    for params in ({"account": ada_rows["accounts"].pk}, {"category": ada_rows["categories"].pk}):
        for path in ("/api/v1/transactions", "/api/v1/transactions/export"):
            response = other_client.get(path, params)
            assert response.status_code == 400
            assert list(response.json()["errors"]) == list(params)


def test_importing_into_another_users_account_is_400(other_client, ada_rows):
    upload = SimpleUploadedFile("s.csv", b"Date,Description,Amount\n2026-01-01,Coffee,-3.00\n", content_type="text/csv")
    response = other_client.post("/api/v1/transactions/import", {"file": upload, "account": ada_rows["accounts"].pk})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["account"]
    assert Transaction.objects.filter(description="Coffee").count() == 0


def test_the_export_holds_only_the_users_own_rows(other_client, other_user, ada_rows):
    make_transaction(Account.objects.get(user=other_user), amount="77.00", description="Grace's own")
    body = b"".join(other_client.get("/api/v1/transactions/export").streaming_content).decode()
    assert body.count("\n") == 2
    assert "Grace's own" in body
