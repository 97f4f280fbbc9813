"""The switch and the edges: with COMPAT_ORIGINAL_API off every compatibility path is the
site's plain 404 (preflights too); on or off, /api/schema/ lists none of it; on, it answers
other origins listed in CORS_ALLOWED_ORIGINS, never caches, and keeps the body-size limit."""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from budgetpay.testing.compat import API, compat_client_for

pytestmark = pytest.mark.django_db

FRONT_END = "https://original-client.example.com"


def _compat_paths() -> list[str]:
    """Every path the compatibility API routes, with its parameters filled in."""
    [mount] = [entry for entry in get_resolver().url_patterns if str(entry.pattern) == "compat/v0/"]
    assert isinstance(mount, URLResolver)
    paths = []
    for entry in mount.url_patterns:
        assert isinstance(entry, URLPattern)
        route = re.sub(r"<str:\w+>", "1", str(entry.pattern)).replace("<path:rest>", "api/v1/expenses")
        paths.append(f"/compat/v0/{route}")
    return paths


def test_the_walk_sees_every_call_of_the_client():
    paths = _compat_paths()
    assert len(paths) == 30
    for call in ("auth/jwt/login", "auth/reset-password", "users/me", "categories/1", "transactions", "chatbot/ask"):
        assert f"{API}/{call}" in paths and f"{API}/{call}/" in paths


@pytest.mark.parametrize("path", _compat_paths())
def test_with_the_setting_off_every_compat_path_is_the_sites_plain_404(api_client, user, settings, path):
    settings.COMPAT_ORIGINAL_API = False
    settings.CORS_ALLOWED_ORIGINS = [FRONT_END]
    signed_in = compat_client_for(user)
    for method in ("get", "post", "patch", "delete"):
        response = getattr(signed_in, method)(path, {"username": user.email, "password": "x"}, format="json")
        assert response.status_code == 404, (method, path)
        assert not response.get("Content-Type", "").startswith("application/json")
    preflight = api_client.options(
        path,
        HTTP_ORIGIN=FRONT_END,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert preflight.status_code == 404 and not preflight.has_header("Access-Control-Allow-Origin")


@pytest.mark.parametrize("on", [True, False])
def test_nothing_of_it_is_in_the_schema(api_client, settings, on):
    settings.COMPAT_ORIGINAL_API = on
    generated = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/v1/transactions" in generated["paths"]
    assert not [path for path in generated["paths"] if "compat" in path]
    served = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert served.status_code == 200 and "compat" not in json.dumps(served.json()["paths"])


def test_with_the_setting_on_a_listed_origin_may_call_it(api_client, compat_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONT_END]
    preflight = api_client.options(
        f"{API}/transactions",
        HTTP_ORIGIN=FRONT_END,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == FRONT_END
    assert {"authorization", "content-type"} <= set(preflight["Access-Control-Allow-Headers"].split(", "))
    listing = compat_client.get(f"{API}/transactions", HTTP_ORIGIN=FRONT_END)
    assert listing["Access-Control-Allow-Origin"] == FRONT_END
    assert not compat_client.get(f"{API}/transactions", HTTP_ORIGIN="https://elsewhere.example.com").has_header(
        "Access-Control-Allow-Origin"
    )


def test_its_answers_are_never_cached(api_client, compat_client):
    for response in (
        compat_client.get(f"{API}/users/me"),
        compat_client.get(f"{API}/categories"),
        api_client.post(f"{API}/auth/jwt/login", {}, format=None),
        api_client.get(f"{API}/nowhere"),
    ):
        assert response["Cache-Control"] == "no-store"


def test_paths_the_original_never_had_are_fastapis_json_404(compat_client):
    for path in ("/compat/v0/", f"{API}/expenses", f"{API}/dashboard/summary", f"{API}/goals/1", "/compat/v0/x"):
        response = compat_client.post(path, {}, format="json")
        assert (response.status_code, response.json()) == (404, {"detail": "Not Found"}), path


def test_a_body_over_the_limit_is_a_413_with_detail(compat_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = compat_client.post(f"{API}/chatbot/ask", {"query": "x" * 200}, format="json")
    assert response.status_code == 413 and "limit is 100 bytes" in response.json()["detail"]


def test_a_method_the_original_did_not_have_is_405(compat_client):
    response = compat_client.put(f"{API}/transactions", {}, format="json")
    assert (response.status_code, response.json()) == (405, {"detail": "Method Not Allowed"})
