"""Google's and GitHub's sign-in protocols on a real local HTTP server (a FakeHTTPServer),
with allauth's providers pointed at it and their SocialApp configured, so the token exchange
is tested over a socket against what those services answer."""

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter
from allauth.socialaccount.providers.google import views as google_views
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.contrib.sites.models import Site

from budgetpay.testing.servers import FakeHTTPServer

GOOGLE_CLIENT_ID = "budgetpay-test.apps.googleusercontent.com"
GOOGLE_KEY_ID = "test-key-1"
GITHUB_CLIENT_ID = "gh-client"
GITHUB_SECRET = "gh-secret"
# The OAuth app each live GitHub access token was issued to. GitHub's /user answers for
# any of them; only "check a token" tells which app a token belongs to.
GITHUB_TOKENS = {"gho_valid": GITHUB_CLIENT_ID, "gho_other_app": "someone-elses-client"}


class FakeGoogle:
    """Signs ID tokens with its own RSA key and publishes the certificate the way
    https://www.googleapis.com/oauth2/v1/certs does ({kid: PEM certificate})."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-google")])
        now = datetime.now(UTC)
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
        self.certs = {GOOGLE_KEY_ID: certificate.public_bytes(serialization.Encoding.PEM).decode()}

    def id_token(self, *, audience: str = GOOGLE_CLIENT_ID, expires_in: int = 3600, **claims: object) -> str:
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
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": GOOGLE_KEY_ID})


def serve_google(server: FakeHTTPServer, monkeypatch: pytest.MonkeyPatch) -> FakeGoogle:
    """Google's certificates on `server`, allauth's Google provider reading them there instead
    of googleapis.com, and Google sign-in configured (a SocialApp on the current site)."""
    fake = FakeGoogle()
    server.route("GET", "/oauth2/v1/certs", lambda request: (200, fake.certs))
    monkeypatch.setattr(google_views, "CERTS_URL", f"{server.url}/oauth2/v1/certs")
    app = SocialApp.objects.create(provider="google", name="Google", client_id=GOOGLE_CLIENT_ID, secret="")
    app.sites.add(Site.objects.get_current())
    return fake


def github_user(request: dict) -> tuple:
    """GET /user: the profile, for any live token (whichever app it was issued to)."""
    if request["headers"].get("Authorization", "").removeprefix("token ") in GITHUB_TOKENS:
        return 200, {"id": 4242, "login": "octo", "name": "Octo Cat", "email": None}
    return 401, {"message": "Bad credentials"}


def github_check_token(request: dict) -> tuple:
    """POST /applications/{client_id}/token as GitHub answers it: basic auth with the
    app's id and secret; 200 with the token's app only when the token is that app's."""
    client_id = request["path"].split("/")[2]
    expected = "Basic " + base64.b64encode(f"{client_id}:{GITHUB_SECRET}".encode()).decode()
    if client_id != GITHUB_CLIENT_ID or request["headers"].get("Authorization") != expected:
        return 401, {"message": "Requires authentication"}
    access_token = json.loads(request["body"] or b"{}").get("access_token")
    if GITHUB_TOKENS.get(access_token) != client_id:
        return 404, {"message": "Not Found"}
    return 200, {"token": access_token, "app": {"client_id": client_id, "name": "Budget Pay"}, "user": {"id": 4242}}


def serve_github(server: FakeHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHub's /user, /user/emails and token check on `server`, allauth's GitHub adapter
    calling it there, and GitHub sign-in configured (a SocialApp on the current site)."""
    server.route("GET", "/user", github_user)
    server.route("POST", f"/applications/{GITHUB_CLIENT_ID}/token", github_check_token)
    server.route(
        "GET", "/user/emails", lambda request: (200, [{"email": "octo@example.com", "primary": True, "verified": True}])
    )
    monkeypatch.setattr(GitHubOAuth2Adapter, "profile_url", f"{server.url}/user")
    monkeypatch.setattr(GitHubOAuth2Adapter, "emails_url", f"{server.url}/user/emails")
    monkeypatch.setattr(GitHubOAuth2Adapter, "api_url", server.url)
    app = SocialApp.objects.create(provider="github", name="GitHub", client_id=GITHUB_CLIENT_ID, secret=GITHUB_SECRET)
    app.sites.add(Site.objects.get_current())
