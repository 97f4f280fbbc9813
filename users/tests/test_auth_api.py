from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from budgetpay.testing.api import assert_refused_naming, bad_values
from budgetpay.testing.people import TEST_PASSWORD
from users.models import User

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"


def register(client, **overrides):
    body = {"email": "New.Person@Example.com", "password": TEST_PASSWORD, "full_name": "New Person"}
    body.update(overrides)
    return client.post(REGISTER, body, format="json")


def bearer(client, access: str) -> None:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")


def test_register_login_refresh_logout_me(api_client):
    response = register(api_client, currency="EUR", timezone="Europe/Berlin", monthly_income="3200.50")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["email"] == "new.person@example.com"
    assert body["user"]["currency"] == "EUR"
    assert body["user"]["timezone"] == "Europe/Berlin"
    assert body["user"]["monthly_income"] == "3200.50"
    assert body["access"] and body["refresh"]

    # Sign in ignores the case of the email address.
    login = api_client.post(TOKEN, {"email": "NEW.person@example.COM", "password": TEST_PASSWORD}, format="json")
    assert login.status_code == 200, login.json()
    first_refresh = login.json()["refresh"]

    rotated = api_client.post(REFRESH, {"refresh": first_refresh}, format="json")
    assert rotated.status_code == 200
    second_refresh = rotated.json()["refresh"]
    assert second_refresh != first_refresh
    # Rotation blacklisted the old refresh token.
    reused = api_client.post(REFRESH, {"refresh": first_refresh}, format="json")
    assert reused.status_code == 401
    assert "already used" in reused.json()["message"]

    assert api_client.post(LOGOUT, {"refresh": second_refresh}, format="json").status_code == 200
    after_logout = api_client.post(REFRESH, {"refresh": second_refresh}, format="json")
    assert after_logout.status_code == 401

    bearer(api_client, rotated.json()["access"])
    me = api_client.get(ME)
    assert me.status_code == 200
    assert me.json()["email"] == "new.person@example.com"
    assert me.json()["full_name"] == "New Person"


def test_wrong_password_is_401_with_a_message(api_client, user):
    response = api_client.post(TOKEN, {"email": user.email, "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["message"]


def test_patch_me_cannot_grant_privileges_or_change_email(auth_client, user):
    response = auth_client.patch(
        ME,
        {
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "email": "attacker@example.com",
            "full_name": "Ada King",
        },
        format="json",
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert user.email == "ada@example.com"
    assert user.full_name == "Ada King"


@pytest.mark.parametrize(
    ("field", "value"), bad_values(currency=["XYZ", "usd"], timezone=["Mars/Olympus"], monthly_income=["-5"])
)
def test_patch_me_rejects_bad_profile_values_naming_the_field(auth_client, user, field, value):
    response = auth_client.patch(ME, {field: value}, format="json")
    assert_refused_naming(response, field)
    user.refresh_from_db()
    assert getattr(user, field) != value


def test_expired_and_malformed_tokens_are_401(api_client, user):
    expired = AccessToken.for_user(user)
    expired.set_exp(from_time=timezone.now() - timedelta(hours=1), lifetime=timedelta(minutes=1))
    bearer(api_client, str(expired))
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"

    bearer(api_client, "not.a.jwt")
    assert api_client.get(ME).status_code == 401

    api_client.credentials()
    assert api_client.get(ME).status_code == 401


def test_password_validators_apply(api_client):
    response = register(api_client, password="12345678")
    assert response.status_code == 400
    messages = " ".join(response.json()["errors"]["password"])
    assert "too common" in messages or "entirely numeric" in messages
    assert not User.objects.exists()


def test_duplicate_email_ignoring_case_is_400(api_client, user):
    response = register(api_client, email="ADA@example.com")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]
    assert User.objects.count() == 1


def test_malformed_json_is_400(api_client):
    response = api_client.post(REGISTER, data='{"email": "x@example.com",', content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]
    assert not User.objects.exists()


def test_a_megabyte_body_is_refused_and_creates_nothing(api_client):
    response = register(api_client, full_name="x" * 1_000_000)
    assert response.status_code == 413
    assert "limit" in response.json()["message"]
    assert not User.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("currency", "ABC"), ("timezone", "Europe/Atlantis")])
def test_unknown_currency_or_timezone_is_400_naming_the_field(api_client, field, value):
    response = register(api_client, **{field: value})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not User.objects.exists()


def test_change_password_revokes_refresh_tokens_and_returns_a_new_pair(api_client, user):
    old_pair = api_client.post(TOKEN, {"email": user.email, "password": TEST_PASSWORD}, format="json").json()
    bearer(api_client, old_pair["access"])

    wrong = api_client.post(
        "/api/v1/auth/password/change", {"old_password": "bad", "new_password": "another-long-secret-9"}, format="json"
    )
    assert wrong.status_code == 400
    assert "old_password" in wrong.json()["errors"]

    response = api_client.post(
        "/api/v1/auth/password/change",
        {"old_password": TEST_PASSWORD, "new_password": "another-long-secret-9"},
        format="json",
    )
    assert response.status_code == 200
    assert api_client.post(REFRESH, {"refresh": old_pair["refresh"]}, format="json").status_code == 401
    assert api_client.post(REFRESH, {"refresh": response.json()["refresh"]}, format="json").status_code == 200
    user.refresh_from_db()
    assert user.check_password("another-long-secret-9")


def test_delete_me_needs_the_password_and_removes_the_account(auth_client, user):
    assert auth_client.delete(ME, {"password": "wrong"}, format="json").status_code == 400
    assert User.objects.filter(pk=user.pk).exists()
    assert auth_client.delete(ME, {"password": TEST_PASSWORD}, format="json").status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    # The still-unexpired access token no longer opens anything.
    assert auth_client.get(ME).status_code == 401


@pytest.mark.parametrize("path", [REGISTER, REGISTER + "/"])
def test_paths_answer_with_and_without_trailing_slash_without_redirecting_posts(api_client, path):
    response = api_client.post(path, {"email": "slash@example.com", "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 201


def test_unknown_api_path_is_json_404(api_client):
    response = api_client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "/api/v1/nothing-here" in response.json()["message"]


def test_schema_declares_jwt_security_and_the_docs_render(api_client):
    schema = api_client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    assert "/api/v1/auth/register" in document["paths"]
    assert api_client.get("/api/docs/").status_code == 200


def test_deeply_nested_json_is_400_not_500(api_client):
    response = api_client.post(REGISTER, data="[" * 5000, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["message"]
