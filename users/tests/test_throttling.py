"""Sign-in, sign-up, refresh, password reset, the admin and the AI endpoints are rate limited."""

import pytest
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from budgetpay.testing.people import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_rates(monkeypatch):
    rates = {"login": "3/min", "register": "2/min", "token_refresh": "2/min", "social_login": "2/min", "ai": "2/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def test_login_is_throttled_with_retry_after(api_client, user, tight_rates):
    for _ in range(3):
        assert (
            api_client.post("/api/v1/auth/token", {"email": user.email, "password": "wrong"}, format="json").status_code
            == 401
        )
    response = api_client.post("/api/v1/auth/token", {"email": user.email, "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["message"].lower()


def test_register_and_refresh_are_throttled(api_client, tight_rates):
    bodies = [{"email": f"p{i}@example.com", "password": TEST_PASSWORD} for i in range(3)]
    statuses = [api_client.post("/api/v1/auth/register", body, format="json").status_code for body in bodies]
    assert statuses == [201, 201, 429]
    for expected in (401, 401, 429):
        assert api_client.post("/api/v1/auth/token/refresh", {"refresh": "x"}, format="json").status_code == expected


def test_ai_endpoints_are_throttled_per_user(auth_client, tight_rates, ai_off):
    statuses = [auth_client.post("/api/v1/notification/generate-budget-insight").status_code for _ in range(3)]
    assert statuses == [201, 200, 429]  # the second finds the first (same figures today); the throttle still counts it


def test_password_reset_is_rate_limited_by_allauth(user):
    client = Client()
    statuses = [client.post("/accounts/password/reset/", {"email": user.email}).status_code for _ in range(7)]
    assert statuses[0] == 302
    assert 429 in statuses


def test_the_admin_signs_in_through_the_rate_limited_login(user):
    client = Client()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    client.force_login(user)  # signed in, but not staff
    assert client.get("/admin/login/?next=/admin/").status_code == 403
