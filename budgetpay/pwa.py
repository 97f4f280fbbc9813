"""The installable web app: the service worker at `/sw.js` and the manifest at `/manifest.webmanifest`.

The service worker is served from the site root, not from /static/, because a worker controls
only the pages under the folder it was served from: at the root its scope is every page. Its
source is the static file budgetpay/static/budgetpay/sw.js, read once per process. Both answers
are the same for everyone (no login, no cookies read) and say `no-cache`, so a browser checks
for a new worker or manifest on each visit and gets a 304 while it is unchanged.

The PNG icons under budgetpay/static/budgetpay/icons/ are budgetpay/static/budgetpay/icon.svg
rendered at each size: `any` (the rounded mark on a transparent ground), `maskable` and the
Apple touch icon (the mark inside the safe zone on a full-bleed square, the platform rounds it),
and the notification badge (the mark's letter and dot alone, white on transparent: Android
draws it from the alpha channel).
"""

import hashlib
import json
from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.views.decorators.http import condition, require_safe

SERVICE_WORKER = "budgetpay/sw.js"
NAME = "Budget Pay"
# app.css: --accent (the brand green, the browser's bar) and --bg (the page, the splash screen).
THEME_COLOR = "#0b6e4f"
BACKGROUND_COLOR = "#f4f6f5"
ICONS = [
    ("budgetpay/icons/icon-192.png", "192x192", "image/png", "any"),
    ("budgetpay/icons/icon-512.png", "512x512", "image/png", "any"),
    ("budgetpay/icons/maskable-512.png", "512x512", "image/png", "maskable"),
    ("budgetpay/icon.svg", "any", "image/svg+xml", "any"),
]


@cache
def service_worker_source() -> bytes:
    path = finders.find(SERVICE_WORKER)
    if path is None:
        raise RuntimeError(f"the service worker's source {SERVICE_WORKER} is missing from the static files")
    with open(path, "rb") as source:
        return source.read()


@cache
def manifest() -> bytes:
    document = {
        "id": "/",
        "name": NAME,
        "short_name": NAME,
        "description": "Your money, your server: accounts, budgets, goals and an assistant.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {"src": static(path), "sizes": sizes, "type": kind, "purpose": purpose}
            for path, sizes, kind, purpose in ICONS
        ],
    }
    return json.dumps(document, indent=1).encode()


def _etag(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:32]


def _answer(content: bytes, content_type: str, **headers: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # A browser asks again each time (a new worker is picked up on the next visit); the ETag makes
    # that a 304. Set here, so the response keeps it even for a signed-in request.
    response["Cache-Control"] = "no-cache"
    for name, value in headers.items():
        response[name] = value
    return response


@require_safe
@condition(etag_func=lambda request: _etag(service_worker_source()))
def service_worker(request: HttpRequest) -> HttpResponse:
    return _answer(service_worker_source(), "text/javascript; charset=utf-8", **{"Service-Worker-Allowed": "/"})


@require_safe
@condition(etag_func=lambda request: _etag(manifest()))
def web_manifest(request: HttpRequest) -> HttpResponse:
    return _answer(manifest(), "application/manifest+json")
