"""The token exchange for mobile and single-page clients, against a real local
HTTP server that speaks Google's and GitHub's protocols."""

import base64
import json
import time
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter
from allauth.socialaccount.providers.google import views as google_views
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.contrib.sites.models import Site

from users.models import User

pytestmark = pytest.mark.django_db

CLIENT_ID = "budgetpay-test.apps.googleusercontent.com"
GOOGLE = "/api/v1/auth/social/google"
GITHUB = "/api/v1/auth/social/github"
KID = "test-key-1"


class FakeGoogle:
    """Signs ID tokens with its own RSA key and publishes the certificate the way
    https://www.googleapis.com/oauth2/v1/certs does ({kid: PEM certificate})."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-google")])
        now = datetime.now(timezone.utc)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        self.certs = {KID: certificate.public_bytes(serialization.Encoding.PEM).decode()}

    def id_token(self, *, audience: str = CLIENT_ID, expires_in: int = 3600, **claims: object) -> str:
        now = int(time.time())
        payload = {
            "iss": "https://accounts.google.com",
            "aud": audience,
            "sub": "google-user-1",
            "email": "lin@example.com",
            "email_verified": True,
            "name": "Lin Wei",
            "given_name": "Lin",
            "family_name": "Wei",
            "iat": now - 10,
            "exp": now + expires_in,
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": KID})


@pytest.fixture
def google(fake_http_server, monkeypatch) -> FakeGoogle:
    fake = FakeGoogle()
    fake_http_server.route("GET", "/oauth2/v1/certs", lambda request: (200, fake.certs))
    # Point allauth's Google provider at the stand-in instead of googleapis.com.
    monkeypatch.setattr(google_views, "CERTS_URL", f"{fake_http_server.url}/oauth2/v1/certs")
    app = SocialApp.objects.create(provider="google", name="Google", client_id=CLIENT_ID, secret="")
    app.sites.add(Site.objects.get_current())
    return fake


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
        pytest.param(lambda google: google.id_token(audience="someone-else.apps.googleusercontent.com"), id="wrong-audience"),
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


# The OAuth app each live GitHub access token was issued to. GitHub's /user answers for
# any of them; only "check a token" tells which app a token belongs to.
GITHUB_TOKENS = {"gho_valid": "gh-client", "gho_other_app": "someone-elses-client"}


def github_check_token(request: dict) -> tuple:
    """POST /applications/{client_id}/token as GitHub answers it: basic auth with the
    app's id and secret; 200 with the token's app only when the token is that app's."""
    client_id = request["path"].split("/")[2]
    expected = "Basic " + base64.b64encode(f"{client_id}:gh-secret".encode()).decode()
    if client_id != "gh-client" or request["headers"].get("Authorization") != expected:
        return 401, {"message": "Requires authentication"}
    access_token = json.loads(request["body"] or b"{}").get("access_token")
    if GITHUB_TOKENS.get(access_token) != client_id:
        return 404, {"message": "Not Found"}
    return 200, {"token": access_token, "app": {"client_id": client_id, "name": "Budget Pay"}, "user": {"id": 4242}}


@pytest.fixture
def github(fake_http_server, monkeypatch):
    fake_http_server.route(
        "GET",
        "/user",
        lambda request: (
            (200, {"id": 4242, "login": "octo", "name": "Octo Cat", "email": None})
            if request["headers"].get("Authorization", "").removeprefix("token ") in GITHUB_TOKENS
            else (401, {"message": "Bad credentials"})
        ),
    )
    fake_http_server.route("POST", "/applications/gh-client/token", github_check_token)
    fake_http_server.route(
        "GET",
        "/user/emails",
        lambda request: (200, [{"email": "octo@example.com", "primary": True, "verified": True}]),
    )
    monkeypatch.setattr(GitHubOAuth2Adapter, "profile_url", f"{fake_http_server.url}/user")
    monkeypatch.setattr(GitHubOAuth2Adapter, "emails_url", f"{fake_http_server.url}/user/emails")
    monkeypatch.setattr(GitHubOAuth2Adapter, "api_url", fake_http_server.url)
    app = SocialApp.objects.create(provider="github", name="GitHub", client_id="gh-client", secret="gh-secret")
    app.sites.add(Site.objects.get_current())


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
    assert check["path"] == "/applications/gh-client/token"
    assert json.loads(check["body"]) == {"access_token": "gho_other_app"}


def test_browser_sign_in_with_google_on_the_account_pages(google, fake_http_server, monkeypatch):
    """The redirect flow: our login page → Google's consent page → our callback,
    which trades the code at Google's token endpoint (the stand-in) and signs in."""
    from urllib.parse import parse_qs, urlsplit

    from django.test import Client

    fake_http_server.route(
        "POST",
        "/token",
        lambda request: (200, {"access_token": "ya29.fake", "token_type": "Bearer", "expires_in": 3600, "id_token": google.id_token()}),
    )
    monkeypatch.setattr(google_views.GoogleOAuth2Adapter, "access_token_url", f"{fake_http_server.url}/token")

    client = Client()
    assert b"/accounts/google/login/" in client.get("/accounts/login/").content
    start = client.post("/accounts/google/login/")
    assert start.status_code == 302
    consent = urlsplit(start["Location"])
    assert consent.netloc == "accounts.google.com"
    query = parse_qs(consent.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]

    callback = client.get("/accounts/google/login/callback/", {"code": "auth-code-1", "state": query["state"][0]})
    assert callback.status_code == 302, callback.content[:500]
    user = User.objects.get(email="lin@example.com")
    assert client.get("/").context["user"] == user
    token_request = next(request for request in fake_http_server.requests if request["path"] == "/token")
    assert b"code=auth-code-1" in token_request["body"]
    assert b"code_verifier=" in token_request["body"]
