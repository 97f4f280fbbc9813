"""End to end: a real Daphne process, spoken to over real sockets."""

import urllib.request

import pytest

from budgetpay.testing.servers import http_json

pytestmark = pytest.mark.e2e


def call(server, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    return http_json(server.url, method, path, body, token)


def test_sign_up_and_use_the_api_over_http(daphne_server):
    status, body = call(
        daphne_server,
        "POST",
        "/api/v1/auth/register",
        {"email": "e2e@example.com", "password": "e2e-long-password-77", "full_name": "End To End"},
    )
    assert status == 201, body
    status, me = call(daphne_server, "GET", "/api/v1/users/me", token=body["access"])
    assert status == 200
    assert me["email"] == "e2e@example.com"

    status, refreshed = call(daphne_server, "POST", "/api/v1/auth/token/refresh/", {"refresh": body["refresh"]})
    assert status == 200
    status, _ = call(daphne_server, "POST", "/api/v1/auth/token/refresh", {"refresh": body["refresh"]})
    assert status == 401

    status, missing = call(daphne_server, "GET", "/api/v1/unknown")
    assert status == 404
    assert missing["code"] == "not_found"


def test_health_and_static_files_are_served_by_daphne(daphne_server):
    status, health = call(daphne_server, "GET", "/health")
    assert status == 200
    assert health["checks"] == {"database": "ok", "channel_layer": "ok"}
    with urllib.request.urlopen(daphne_server.url + "/static/budgetpay/app.css", timeout=10) as response:
        assert response.status == 200
        assert b"--accent" in response.read()
