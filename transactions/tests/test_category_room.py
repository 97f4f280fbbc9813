"""A new person's default categories leave room for shares of their own, and the share
check says which shares to lower when there is none left."""

import pytest

from budgetpay.testing.people import TEST_PASSWORD

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/v1/categories"


def test_a_new_person_can_plan_a_share_for_a_category_of_their_own(api_client):
    registered = api_client.post(
        "/api/v1/auth/register", {"email": "new@example.com", "password": TEST_PASSWORD}, format="json"
    )
    assert registered.status_code == 201
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {registered.json()['access']}")
    savings = api_client.post(CATEGORIES, {"name": "Savings", "income_percentage": "20"}, format="json")
    assert savings.status_code == 201, savings.json()


def test_when_the_shares_are_full_the_message_names_the_ones_to_lower(auth_client):
    assert (
        auth_client.post(CATEGORIES, {"name": "Savings", "income_percentage": "25"}, format="json").status_code == 201
    )
    refused = auth_client.post(CATEGORIES, {"name": "Pets", "income_percentage": "10"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["income_percentage"] == [
        "Your other categories already plan 95% of income; this one can have at most 5%. "
        "To make room, lower one of these: Housing 30%, Savings 25%, Food 15%, Shopping 10%, Travel 10% and 1 more."
    ]
