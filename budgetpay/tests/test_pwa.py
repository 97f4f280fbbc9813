"""The installable web app over HTTP (budgetpay/pwa.py): the service worker at the site root with
the headers browsers need for it, the web app manifest and every icon it or the worker names,
and the pages that link them. The worker's behaviour in a real browser is in
notifications/tests/test_push_browser.py."""

import json
import re
import struct
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from budgetpay import pwa

pytestmark = pytest.mark.django_db

APP_CSS = Path(finders.find("budgetpay/app.css")).read_text()


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (the first, right after the signature)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_service_worker_is_served_from_the_root_for_everyone_and_always_checked_again(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    source = Path(finders.find("budgetpay/sw.js")).read_bytes()
    assert response.content == source
    for handler in ("install", "activate", "push", "notificationclick"):
        assert f'self.addEventListener("{handler}"'.encode() in source, handler

    # Unchanged: a 304 to the browser's next check, which then keeps the worker it has.
    again = client.get("/sw.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    head = client.head("/sw.js")
    assert head.status_code == 200 and head.content == b""
    assert client.post("/sw.js").status_code == 405


def test_a_signed_in_browser_gets_the_same_worker_with_no_cache_not_no_store(page_client):
    response = page_client.get("/sw.js")
    assert response.status_code == 200
    # The personal-responses middleware would say no-store; the worker is nobody's and says no-cache.
    assert response["Cache-Control"] == "no-cache"


def test_the_manifest_installs_budget_pay_at_the_root_in_its_colours(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    assert response["Cache-Control"] == "no-cache"
    manifest = json.loads(response.content)
    assert {key: manifest[key] for key in ("name", "short_name", "start_url", "scope", "display")} == {
        "name": "Budget Pay",
        "short_name": "Budget Pay",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
    }
    assert len(manifest["short_name"]) <= 12  # what a home screen shows under the icon
    # The colours of app.css: the brand green for the browser's bar, the page's ground for the splash.
    assert f"--accent: {manifest['theme_color']};" in APP_CSS
    assert f"--bg: {manifest['background_color']};" in APP_CSS
    assert client.get("/manifest.webmanifest", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert client.post("/manifest.webmanifest").status_code == 405


def test_every_icon_the_manifest_names_is_served_at_its_size(client):
    icons = json.loads(client.get("/manifest.webmanifest").content)["icons"]
    pngs = [icon for icon in icons if icon["type"] == "image/png"]
    assert {(icon["sizes"], icon["purpose"]) for icon in pngs} >= {
        ("192x192", "any"),
        ("512x512", "any"),
        ("512x512", "maskable"),
    }
    for icon in icons:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon["src"]
        assert response["Content-Type"] == icon["type"], icon["src"]
        data = body_of(response)
        if icon["type"] == "image/png":
            width, height = png_size(data)
            assert f"{width}x{height}" == icon["sizes"], icon["src"]
        else:
            assert icon["sizes"] == "any" and data.startswith(b"<svg"), icon["src"]


def test_the_icon_and_badge_the_worker_shows_exist(client):
    source = pwa.service_worker_source().decode()
    images = re.findall(r'"(/static/[^"]+\.png)"', source)
    assert len(images) == 2, images  # the notification's icon and its badge
    for path in images:
        response = client.get(path)
        assert response.status_code == 200, path
        assert png_size(body_of(response))[0] >= 96, path


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_every_page_links_the_manifest_theme_colour_and_touch_icon(client, page_client, signed_in):
    browser = page_client if signed_in else client
    page = browser.get("/" if signed_in else "/accounts/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    theme = json.loads(client.get("/manifest.webmanifest").content)["theme_color"]
    assert f'<meta name="theme-color" content="{theme}">' in html
    touch_icon = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', html).group(1)
    assert png_size(body_of(client.get(touch_icon))) == (180, 180)


def test_the_preferences_page_carries_this_devices_control_without_inline_script(page_client):
    html = page_client.get("/account/notifications/").content.decode()
    control = re.search(r"<div class=\"push-control\"[^>]*>", html).group(0)
    assert 'data-worker-url="/sw.js"' in control
    assert 'data-key-url="/api/v1/notification/push-key"' in control
    assert 'data-subscriptions-url="/api/v1/notification/push-subscriptions"' in control
    assert re.search(r'data-csrf-token="\w{32,}"', control)
    assert re.search(r'<p class="push-status" role="status" aria-live="polite" data-push-status>', html)
    assert '<button type="button" data-push-button hidden>Turn on notifications on this device</button>' in html
    assert '<script src="/static/budgetpay/push.js" defer></script>' in html
    # The Content-Security-Policy allows scripts from files only: none inline, no handlers in attributes.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
