"""POSTs that create money records honour `Idempotency-Key`."""

import io

import pytest

from budgetpay.testing.factories import main_account_of
from goals.models import Goal, GoalEntry
from transactions.models import Account, Transaction

pytestmark = pytest.mark.django_db


def post(client, path, body, key, **extra):
    return client.post(path, body, format=extra.pop("format", "json"), HTTP_IDEMPOTENCY_KEY=key, **extra)


def test_a_retry_returns_the_first_answer_and_creates_nothing(auth_client, main_account):
    body = {"account": main_account.id, "kind": "expense", "amount": "12.50", "description": "Lunch"}
    first = post(auth_client, "/api/v1/transactions", body, "key-1")
    assert first.status_code == 201
    retry = post(auth_client, "/api/v1/transactions", body, "key-1")
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Transaction.objects.count() == 1


def test_the_same_key_with_another_body_is_422(auth_client, main_account):
    post(auth_client, "/api/v1/transactions", {"account": main_account.id, "amount": "12.50"}, "key-2")
    other = post(auth_client, "/api/v1/transactions", {"account": main_account.id, "amount": "99.00"}, "key-2")
    assert other.status_code == 422
    assert "different request" in other.json()["message"]
    assert Transaction.objects.count() == 1


def test_a_failed_write_leaves_the_key_free(auth_client, main_account):
    assert (
        post(auth_client, "/api/v1/transactions", {"account": main_account.id, "amount": "-1"}, "key-3").status_code
        == 400
    )
    assert (
        post(auth_client, "/api/v1/transactions", {"account": main_account.id, "amount": "1.00"}, "key-3").status_code
        == 201
    )


def test_keys_are_per_user(auth_client, main_account, other_user, other_client):
    post(auth_client, "/api/v1/transactions", {"account": main_account.id, "amount": "5.00"}, "shared")
    theirs = main_account_of(other_user)
    response = post(other_client, "/api/v1/transactions", {"account": theirs.id, "amount": "5.00"}, "shared")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Transaction.objects.filter(user=other_user).count() == 1


def test_an_oversized_key_is_400(auth_client, main_account):
    response = post(auth_client, "/api/v1/transactions", {"account": main_account.id, "amount": "5.00"}, "k" * 300)
    assert response.status_code == 400
    assert not Transaction.objects.exists()


def test_import_account_and_goal_entry_creation_are_idempotent(auth_client, user, main_account):
    csv = b"Date,Description,Amount\n2026-11-02,Coffee,-3.20\n"
    for _ in range(2):
        response = auth_client.post(
            "/api/v1/transactions/import",
            {"file": io.BytesIO(csv), "account": main_account.id},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="import-1",
        )
        assert response.status_code == 201
    assert Transaction.objects.count() == 1
    changed = auth_client.post(
        "/api/v1/transactions/import",
        {"file": io.BytesIO(csv.replace(b"3.20", b"4.20")), "account": main_account.id},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="import-1",
    )
    assert changed.status_code == 422

    for _ in range(2):
        assert post(auth_client, "/api/v1/accounts", {"name": "Wallet", "kind": "cash"}, "acct-1").status_code == 201
    assert Account.objects.filter(user=user, name="Wallet").count() == 1

    goal = Goal.objects.create(user=user, name="Bike", target_amount="500.00")
    for _ in range(2):
        assert post(auth_client, f"/api/v1/goals/{goal.id}/entries", {"amount": "50.00"}, "entry-1").status_code == 201
    assert GoalEntry.objects.count() == 1
