"""A web front-end on its own domain may call the API (CORS_ALLOWED_ORIGINS, django-cors-headers):
preflights with the headers our clients send, no credentials, and the headers a script must read."""

import sys

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from budgetpay.testing.people import TEST_PASSWORD
from budgetpay.testing.startup import start_django

pytestmark = pytest.mark.django_db

FRONT_END = "https://app.example.com"
LOCAL_FRONT_END = "http://localhost:5173"
STRANGER = "https://evil.example.net"
CORS_RESPONSE_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Methods",
    "Access-Control-Expose-Headers",
    "Access-Control-Allow-Credentials",
)


@pytest.fixture
def front_end(settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = [FRONT_END, LOCAL_FRONT_END]


def preflight(client: APIClient, path: str, origin: str, method: str = "POST"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, idempotency-key, content-type",
    )


def listed(value: str) -> set[str]:
    return {part.strip().lower() for part in value.split(",") if part.strip()}


def cors_headers(response) -> set[str]:
    return {name for name in CORS_RESPONSE_HEADERS if response.has_header(name)}


def test_a_preflight_from_an_allowed_origin_allows_the_headers_clients_send(api_client, front_end):
    response = preflight(api_client, "/api/v1/transactions", FRONT_END)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONT_END
    assert {"authorization", "idempotency-key", "content-type"} <= listed(response["Access-Control-Allow-Headers"])
    assert "post" in listed(response["Access-Control-Allow-Methods"])
    assert not response.has_header("Access-Control-Allow-Credentials")
    # Each origin is compared whole: the port is part of it.
    assert (
        preflight(api_client, "/api/v1/transactions", LOCAL_FRONT_END)["Access-Control-Allow-Origin"] == LOCAL_FRONT_END
    )
    assert not preflight(api_client, "/api/v1/transactions", "http://localhost:5174").has_header(
        "Access-Control-Allow-Origin"
    )


def test_the_signed_in_request_after_the_preflight_is_readable_without_credentials(auth_client, front_end):
    response = auth_client.get("/api/v1/notification/unread-count", HTTP_ORIGIN=FRONT_END)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONT_END
    assert not response.has_header("Access-Control-Allow-Credentials")
    assert "origin" in listed(response["Vary"])


def test_a_disallowed_origin_gets_no_cors_headers(api_client, auth_client, front_end):
    assert cors_headers(preflight(api_client, "/api/v1/transactions", STRANGER)) == set()
    assert cors_headers(auth_client.get("/api/v1/notification/unread-count", HTTP_ORIGIN=STRANGER)) == set()


def test_no_origin_is_allowed_by_default(api_client, auth_client):
    assert cors_headers(preflight(api_client, "/api/v1/transactions", FRONT_END)) == set()
    assert cors_headers(auth_client.get("/api/v1/notification/unread-count", HTTP_ORIGIN=FRONT_END)) == set()


def test_only_the_api_answers_cross_origin(api_client, front_end):
    for path in ("/accounts/login/", "/api/v1/auth/token"):
        response = api_client.get(path, HTTP_ORIGIN=FRONT_END)
        allowed = response.has_header("Access-Control-Allow-Origin")
        assert allowed is path.startswith("/api/"), path


def test_a_429_exposes_retry_after(api_client, user, front_end, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "login": "1/min"})
    body = {"email": user.email, "password": TEST_PASSWORD}
    assert api_client.post("/api/v1/auth/token", body, format="json", HTTP_ORIGIN=FRONT_END).status_code == 200
    response = api_client.post("/api/v1/auth/token", body, format="json", HTTP_ORIGIN=FRONT_END)
    assert response.status_code == 429
    assert response["Access-Control-Allow-Origin"] == FRONT_END
    assert int(response["Retry-After"]) > 0
    assert {"retry-after", "content-disposition"} <= listed(response["Access-Control-Expose-Headers"])


def test_an_export_exposes_its_file_name(auth_client, front_end):
    response = auth_client.get("/api/v1/transactions/export", HTTP_ORIGIN=FRONT_END)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="transactions-')
    assert response["Access-Control-Allow-Origin"] == FRONT_END
    assert "content-disposition" in listed(response["Access-Control-Expose-Headers"])
    assert not response.has_header("Access-Control-Allow-Credentials")


def test_a_413_from_the_body_size_check_is_readable_cross_origin(auth_client, front_end, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = auth_client.post(
        "/api/v1/notification/generate-ai",
        {"type": "saving_tip", "focus": "x" * 150},
        format="json",
        HTTP_ORIGIN=FRONT_END,
    )
    assert response.status_code == 413
    assert response["Access-Control-Allow-Origin"] == FRONT_END


def test_the_origins_come_from_the_environment():
    program = "import django; django.setup(); from django.conf import settings; print(settings.CORS_ALLOWED_ORIGINS)"
    result = start_django(
        sys.executable, "-c", program, DEBUG="true", CORS_ALLOWED_ORIGINS=f"{FRONT_END},{LOCAL_FRONT_END}"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str([FRONT_END, LOCAL_FRONT_END])
    default = start_django(sys.executable, "-c", program, DEBUG="true", CORS_ALLOWED_ORIGINS="")
    assert default.stdout.strip() == "[]"


def test_an_origin_without_a_scheme_fails_the_system_check():
    result = start_django(sys.executable, "manage.py", "check", DEBUG="true", CORS_ALLOWED_ORIGINS="app.example.com")
    assert result.returncode != 0
    assert "corsheaders.E013" in result.stderr
