"""auth/... of the compatibility API in the original's shapes: sign-in with the client's form,
sign-out that ends the token, registration, email verification and password reset through
allauth, and what the client's tokens open (this API only) and for how long."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from budgetpay.compat.auth import CompatAccessToken
from budgetpay.testing.compat import API, compat_client_for
from budgetpay.testing.people import TEST_PASSWORD, client_for
from users import services as user_services

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-77"
USER_READ_KEYS = {
    "id",
    "email",
    "is_active",
    "is_superuser",
    "is_verified",
    "full_name",
    "monthly_income",
    "savings_goal_amount",
    "savings_goal_deadline",
}


def login(client: APIClient, username: str, password: str):
    """As lib/api.ts signs in: application/x-www-form-urlencoded username and password."""
    return client.post(f"{API}/auth/jwt/login", {"username": username, "password": password}, format=None)


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def key_from_email(path: str) -> str:
    """The key at the end of the link (allauth's) in the last email sent."""
    match = re.search(rf"{path}([^/\s]+)/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


# --- Sign-in and sign-out ---------------------------------------------------------------------


def test_sign_in_with_the_form_answers_a_bearer_token_that_opens_users_me(api_client, user):
    response = login(api_client, user.email.upper(), TEST_PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type"} and body["token_type"] == "bearer"
    assert response["Cache-Control"] == "no-store"

    me = bearer(body["access_token"]).get(f"{API}/users/me")
    assert me.status_code == 200 and me.json()["email"] == user.email
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize(
    ("username", "password"), [("ada@example.com", "wrong-password"), ("nobody@example.com", TEST_PASSWORD)]
)
def test_a_wrong_password_or_unknown_email_is_the_original_400(api_client, user, username, password):
    response = login(api_client, username, password)
    assert (response.status_code, response.json()) == (400, {"detail": "LOGIN_BAD_CREDENTIALS"})


def test_a_disabled_account_cannot_sign_in(api_client, user):
    user.is_active = False
    user.save()
    assert login(api_client, user.email, TEST_PASSWORD).json() == {"detail": "LOGIN_BAD_CREDENTIALS"}


def test_missing_form_fields_are_fastapis_422_list(api_client):
    response = api_client.post(f"{API}/auth/jwt/login", {"username": "ada@example.com"}, format=None)
    assert response.status_code == 422
    assert response.json() == {"detail": [{"type": "missing", "loc": ["body", "password"], "msg": "Field required"}]}


def test_sign_in_takes_the_form_not_json(api_client, user):
    response = api_client.post(
        f"{API}/auth/jwt/login", {"username": user.email, "password": TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 415 and isinstance(response.json()["detail"], str)


def test_sign_out_ends_the_token_at_once(api_client, user):
    token = login(api_client, user.email, TEST_PASSWORD).json()["access_token"]
    client = bearer(token)
    assert client.get(f"{API}/users/me").status_code == 200

    response = client.post(f"{API}/auth/jwt/logout")
    assert (response.status_code, response.json()) == (200, {"detail": "Successfully logged out"})
    refused = client.get(f"{API}/users/me")
    assert refused.status_code == 401
    assert refused.json() == {"detail": "This token was signed out; sign in again."}
    assert refused["WWW-Authenticate"] == "Bearer"
    # Another sign-in is another token, untouched.
    again = login(api_client, user.email, TEST_PASSWORD).json()["access_token"]
    assert bearer(again).get(f"{API}/users/me").status_code == 200


def test_sign_out_without_a_token_answers_as_the_original_did(api_client, user):
    for client in (api_client, bearer("not-a-token"), bearer("two parts"), client_for(user)):
        response = client.post(f"{API}/auth/jwt/logout")
        assert (response.status_code, response.json()) == (200, {"detail": "Successfully logged out"})


def test_no_token_or_a_bad_one_is_401_with_detail(api_client, user):
    assert api_client.get(f"{API}/users/me").json() == {"detail": "Not authenticated"}
    assert api_client.get(f"{API}/users/me").status_code == 401
    assert bearer("not-a-token").get(f"{API}/users/me").json() == {"detail": "Invalid token"}
    refresh = user_services.tokens_for_user(user=user)["refresh"]
    user_services.user_revoke_refresh_tokens(user=user)
    assert bearer(refresh).get(f"{API}/users/me").json() == {"detail": "Invalid token"}


def test_the_clients_tokens_open_this_api_only_and_ours_do_not_open_it(user):
    compat = compat_client_for(user)
    assert compat.get("/api/v1/users/me").status_code == 401
    assert client_for(user).get(f"{API}/users/me").status_code == 401
    assert compat.get(f"{API}/users/me").status_code == 200


def test_tokens_live_as_long_as_ours_unless_the_operator_chooses_longer(user, settings):
    token = CompatAccessToken.for_user(user)
    assert token["exp"] - token["iat"] == settings.JWT_ACCESS_MINUTES * 60 == settings.COMPAT_ACCESS_TOKEN_MINUTES * 60

    settings.COMPAT_ACCESS_TOKEN_MINUTES = 7 * 24 * 60
    token = CompatAccessToken.for_user(user)
    assert token["exp"] - token["iat"] == timedelta(days=7).total_seconds()
    assert OutstandingToken.objects.filter(user=user, jti=token["jti"]).exists()


def test_an_expired_token_is_refused(user, settings):
    settings.COMPAT_ACCESS_TOKEN_MINUTES = 1
    token = CompatAccessToken.for_user(user)
    token.set_exp(from_time=token.current_time - timedelta(minutes=5))
    assert bearer(str(token)).get(f"{API}/users/me").json() == {"detail": "Token has expired"}


def test_a_password_change_and_revoking_all_tokens_end_the_clients_tokens(user):
    first, second = compat_client_for(user), compat_client_for(user)
    user_services.user_revoke_refresh_tokens(user=user)  # the API access page's "revoke"
    assert first.get(f"{API}/users/me").status_code == 401

    user.set_password(NEW_PASSWORD)
    user.save()
    assert second.get(f"{API}/users/me").status_code == 401
    assert compat_client_for(user).get(f"{API}/users/me").status_code == 200


def test_sign_in_counts_in_the_apis_login_throttle(api_client, user, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "login", "2/min")
    for _ in range(2):
        assert login(api_client, user.email, TEST_PASSWORD).status_code == 200
    throttled = login(api_client, user.email, TEST_PASSWORD)
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert throttled.json()["detail"].startswith("Request was throttled")


# --- Registration and email verification ------------------------------------------------------


def test_register_answers_the_new_person_and_sends_a_verification_link(api_client):
    body = {
        "email": "Lin@Example.com",
        "password": NEW_PASSWORD,
        "full_name": "Lin",
        "is_superuser": True,
        "is_active": True,
        "is_verified": True,
    }
    response = api_client.post(f"{API}/auth/register", body, format="json", HTTP_ACCEPT_LANGUAGE="de-DE")
    assert response.status_code == 201
    person = response.json()
    assert set(person) == USER_READ_KEYS
    assert person | {"id": None} == {
        "id": None,
        "email": "lin@example.com",
        "is_active": True,
        "is_superuser": False,
        "is_verified": False,
        "full_name": "Lin",
        "monthly_income": 0.0,
        "savings_goal_amount": None,
        "savings_goal_deadline": None,
    }
    assert len(mail.outbox) == 1 and "/accounts/confirm-email/" in mail.outbox[0].body

    # The client signs in right after registering.
    assert login(api_client, "lin@example.com", NEW_PASSWORD).status_code == 200

    key = key_from_email("/accounts/confirm-email/")
    verified = api_client.post(f"{API}/auth/verify", {"token": key}, format="json")
    assert verified.status_code == 200 and verified.json()["is_verified"] is True
    assert EmailAddress.objects.get(email="lin@example.com").verified
    used = api_client.post(f"{API}/auth/verify", {"token": key}, format="json")
    assert (used.status_code, used.json()) == (400, {"detail": "VERIFY_USER_BAD_TOKEN"})


def test_register_refusals_have_the_original_codes(api_client, user):
    taken = api_client.post(f"{API}/auth/register", {"email": user.email, "password": NEW_PASSWORD}, format="json")
    assert (taken.status_code, taken.json()) == (400, {"detail": "REGISTER_USER_ALREADY_EXISTS"})

    weak = api_client.post(f"{API}/auth/register", {"email": "new@example.com", "password": "12345678"}, format="json")
    assert weak.status_code == 400
    assert weak.json()["detail"]["code"] == "REGISTER_INVALID_PASSWORD" and weak.json()["detail"]["reason"]

    malformed = api_client.post(f"{API}/auth/register", {"email": "not-an-email"}, format="json")
    assert malformed.status_code == 422
    assert [item["loc"] for item in malformed.json()["detail"]] == [["body", "email"], ["body", "password"]]


def test_request_verify_token_answers_the_same_for_anyone_and_mails_only_who_needs_it(api_client, user):
    for email in (user.email, "nobody@example.com"):
        response = api_client.post(f"{API}/auth/request-verify-token", {"email": email}, format="json")
        assert response.status_code == 200 and isinstance(response.json()["detail"], str)
    assert [message.to for message in mail.outbox] == [[user.email]]

    EmailAddress.objects.filter(user=user).update(verified=True)
    api_client.post(f"{API}/auth/request-verify-token", {"email": user.email}, format="json")
    assert len(mail.outbox) == 1


def test_a_bad_verification_token_is_400(api_client):
    response = api_client.post(f"{API}/auth/verify", {"token": "nonsense"}, format="json")
    assert (response.status_code, response.json()) == (400, {"detail": "VERIFY_USER_BAD_TOKEN"})


# --- Password reset ---------------------------------------------------------------------------


def test_forgot_and_reset_password_through_allauths_link(api_client, user):
    old_token = compat_client_for(user)
    response = api_client.post(f"{API}/auth/forgot-password", {"email": user.email}, format="json")
    assert response.status_code == 200 and isinstance(response.json()["detail"], str)
    key = key_from_email("/accounts/password/reset/key/")

    weak = api_client.post(f"{API}/auth/reset-password", {"token": key, "password": "short"}, format="json")
    assert weak.status_code == 400 and weak.json()["detail"]["code"] == "RESET_PASSWORD_INVALID_PASSWORD"

    reset = api_client.post(f"{API}/auth/reset-password", {"token": key, "password": NEW_PASSWORD}, format="json")
    assert reset.status_code == 200 and isinstance(reset.json()["detail"], str)
    assert login(api_client, user.email, NEW_PASSWORD).status_code == 200
    assert old_token.get(f"{API}/users/me").status_code == 401  # the password change ended it

    again = api_client.post(f"{API}/auth/reset-password", {"token": key, "password": NEW_PASSWORD}, format="json")
    assert (again.status_code, again.json()) == (400, {"detail": "RESET_PASSWORD_BAD_TOKEN"})


def test_forgot_password_answers_the_same_for_an_unknown_address(api_client):
    response = api_client.post(f"{API}/auth/forgot-password", {"email": "nobody@example.com"}, format="json")
    assert response.status_code == 200
    assert api_client.post(f"{API}/auth/forgot-password", {"email": "x"}, format="json").status_code == 422


def test_a_bad_reset_token_is_400(api_client, user):
    for token in ("nonsense", "1-abc", "-"):
        response = api_client.post(
            f"{API}/auth/reset-password", {"token": token, "password": NEW_PASSWORD}, format="json"
        )
        assert (response.status_code, response.json()) == (400, {"detail": "RESET_PASSWORD_BAD_TOKEN"})
