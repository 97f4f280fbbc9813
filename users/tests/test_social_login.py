"""The token exchange for mobile and single-page clients, against a real local
HTTP server that speaks Google's and GitHub's protocols (the root conftest's `google` and
`github` fixtures, budgetpay.testing.oauth)."""

import json

import pytest
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.google import views as google_views

from budgetpay.testing.oauth import GITHUB_CLIENT_ID, GOOGLE_CLIENT_ID
from users.models import User

pytestmark = pytest.mark.django_db

GOOGLE = "/api/v1/auth/social/google"
GITHUB = "/api/v1/auth/social/github"


def test_valid_google_id_token_creates_a_user_and_returns_a_pair(api_client, google, fake_http_server):
    response = api_client.post(GOOGLE, {"token": google.id_token()}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["user"]["email"] == "lin@example.com"
    assert body["user"]["full_name"] == "Lin Wei"
    assert body["access"] and body["refresh"]
    user = User.objects.get(email="lin@example.com")
    assert not user.has_usable_password()
    assert SocialAccount.objects.get(provider="google").user == user
    assert any(request["path"] == "/oauth2/v1/certs" for request in fake_http_server.requests)

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get("/api/v1/users/me").json()["email"] == "lin@example.com"

    # Signing in again finds the same person.
    again = api_client.post(GOOGLE, {"token": google.id_token()}, format="json")
    assert again.status_code == 200
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda google: google.id_token(expires_in=-600), id="expired"),
        pytest.param(
            lambda google: google.id_token(audience="someone-else.apps.googleusercontent.com"), id="wrong-audience"
        ),
        pytest.param(lambda google: google.id_token(iss="https://evil.example.com"), id="wrong-issuer"),
        pytest.param(lambda google: google.id_token()[:-8] + "AAAAAAAA", id="bad-signature"),
        pytest.param(lambda google: "not-a-token", id="garbage"),
    ],
)
def test_bad_google_tokens_are_refused_with_a_clear_message(api_client, google, make_token):
    response = api_client.post(GOOGLE, {"token": make_token(google)}, format="json")
    assert response.status_code == 401
    assert "token was refused" in response.json()["message"]
    assert not User.objects.exists()


def test_google_unconfigured_is_refused(api_client):
    response = api_client.post(GOOGLE, {"token": "whatever"}, format="json")
    assert response.status_code == 401
    assert "not configured" in response.json()["message"]


def test_missing_token_is_400(api_client, google):
    response = api_client.post(GOOGLE, {}, format="json")
    assert response.status_code == 400
    assert "token" in response.json()["errors"]


def test_unverified_google_email_does_not_take_over_an_existing_account(api_client, google, user):
    token = google.id_token(email=user.email, email_verified=False, sub="google-user-2")
    response = api_client.post(GOOGLE, {"token": token}, format="json")
    assert response.status_code == 401
    assert User.objects.count() == 1
    assert not SocialAccount.objects.exists()


def test_github_access_token_exchange(api_client, github):
    response = api_client.post(GITHUB, {"token": "gho_valid"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["user"]["email"] == "octo@example.com"
    assert response.json()["user"]["full_name"] == "Octo Cat"

    refused = api_client.post(GITHUB, {"token": "gho_revoked"}, format="json")
    assert refused.status_code == 401
    assert User.objects.count() == 1


def test_github_token_issued_to_another_app_is_refused(api_client, github, fake_http_server):
    """A token someone granted to another OAuth app (which that app's owner holds) works on
    GitHub's /user, yet must not sign its owner in here."""
    response = api_client.post(GITHUB, {"token": "gho_other_app"}, format="json")
    assert response.status_code == 401
    assert "issued for another application" in response.json()["message"]
    assert not User.objects.exists()
    check = next(request for request in fake_http_server.requests if request["method"] == "POST")
    assert check["path"] == f"/applications/{GITHUB_CLIENT_ID}/token"
    assert json.loads(check["body"]) == {"access_token": "gho_other_app"}


def test_browser_sign_in_with_google_on_the_account_pages(google, fake_http_server, monkeypatch):
    """The redirect flow: our login page → Google's consent page → our callback,
    which trades the code at Google's token endpoint (the stand-in) and signs in."""
    from urllib.parse import parse_qs, urlsplit

    from django.test import Client

    fake_http_server.route(
        "POST",
        "/token",
        lambda request: (
            200,
            {"access_token": "ya29.fake", "token_type": "Bearer", "expires_in": 3600, "id_token": google.id_token()},
        ),
    )
    monkeypatch.setattr(google_views.GoogleOAuth2Adapter, "access_token_url", f"{fake_http_server.url}/token")

    client = Client()
    assert b"/accounts/google/login/" in client.get("/accounts/login/").content
    start = client.post("/accounts/google/login/")
    assert start.status_code == 302
    consent = urlsplit(start["Location"])
    assert consent.netloc == "accounts.google.com"
    query = parse_qs(consent.query)
    assert query["client_id"] == [GOOGLE_CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]

    callback = client.get("/accounts/google/login/callback/", {"code": "auth-code-1", "state": query["state"][0]})
    assert callback.status_code == 302, callback.content[:500]
    user = User.objects.get(email="lin@example.com")
    assert client.get("/").context["user"] == user
    token_request = next(request for request in fake_http_server.requests if request["path"] == "/token")
    assert b"code=auth-code-1" in token_request["body"]
    assert b"code_verifier=" in token_request["body"]
