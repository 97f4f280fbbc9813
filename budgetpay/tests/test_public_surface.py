"""The public surface existing clients rely on: every URL path the site answers and the
OpenAPI schema. Both were recorded before the code moved between apps (issue 14) and must
stay equal: code may move and URL *names* may change, paths and the API may not.

After an intended change to the API, re-record with
    BUDGETPAY_RECORD_SNAPSHOTS=1 .venv/bin/python -m pytest budgetpay/tests/test_public_surface.py
and review the diff of budgetpay/tests/snapshots/ like any other change.
"""

import json
import os
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from budgetpay.routing import websocket_urlpatterns

SNAPSHOTS = Path(__file__).parent / "snapshots"
RECORD = os.environ.get("BUDGETPAY_RECORD_SNAPSHOTS") == "1"


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def _matches_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if RECORD:
        path.write_text(text)
    assert path.read_text() == text, f"{name} changed; see this module's docstring"


def test_every_http_path_is_unchanged():
    paths = sorted(set(_walk(get_resolver().url_patterns)))
    assert len(paths) > 100  # the walk reached allauth, the admin and every app
    _matches_snapshot("http_paths.txt", "\n".join(paths) + "\n")


def test_every_socket_path_is_unchanged():
    paths = sorted(str(route.pattern) for route in websocket_urlpatterns)
    assert "api/v1/notification/ws" in " ".join(paths)
    _matches_snapshot("socket_paths.txt", "\n".join(paths) + "\n")


def test_openapi_schema_is_unchanged():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/v1/transactions" in "".join(schema["paths"])
    _matches_snapshot("openapi.json", json.dumps(schema, indent=1, sort_keys=True, default=str) + "\n")
