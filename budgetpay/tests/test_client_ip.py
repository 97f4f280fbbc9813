"""The client's address is one decision (budgetpay.client_ip), made from TRUSTED_PROXY_COUNT,
and every throttle a stranger can reach keys on it."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.request import Request
from rest_framework.views import APIView

from budgetpay.client_ip import UNKNOWN_CLIENT, client_ip
from budgetpay.throttling import throttle_ident

NGINX = "127.0.0.1"
CLIENT = "203.0.113.7"


@pytest.fixture
def proxies(settings):
    def set_count(count: int) -> None:
        settings.TRUSTED_PROXY_COUNT = count

    return set_count


def meta(xff: str | None = None, remote: str | None = NGINX) -> dict:
    values = {}
    if remote is not None:
        values["REMOTE_ADDR"] = remote
    if xff is not None:
        values["HTTP_X_FORWARDED_FOR"] = xff
    return values


@pytest.mark.parametrize("xff", [None, "", "198.51.100.1", "198.51.100.1, 198.51.100.2", "garbage"])
def test_without_trusted_proxies_every_forwarded_header_is_ignored(proxies, xff):
    proxies(0)
    assert client_ip(meta(xff, remote=CLIENT)) == CLIENT


@pytest.mark.parametrize(
    ("count", "xff", "expected"),
    [
        # nginx appends the address it saw: the last entry is the client, whatever it wrote before.
        (1, CLIENT, CLIENT),
        (1, f"198.51.100.1, {CLIENT}", CLIENT),
        (1, f"1.1.1.1,2.2.2.2 ,  {CLIENT}  ", CLIENT),
        # A load balancer, then nginx: the balancer's entry is the client, nginx's is the balancer.
        (2, f"{CLIENT}, 10.0.0.5", CLIENT),
        (2, f"198.51.100.1, {CLIENT}, 10.0.0.5", CLIENT),
        (3, f"spoof, {CLIENT}, 10.0.0.5, 10.0.0.6", CLIENT),
    ],
)
def test_the_address_the_outermost_trusted_proxy_appended(proxies, count, xff, expected):
    proxies(count)
    assert client_ip(meta(xff)) == expected


@pytest.mark.parametrize(
    ("count", "xff"),
    [
        (1, None),  # reached Daphne without passing nginx
        (1, ""),
        (1, "  "),
        (2, CLIENT),  # fewer entries than proxies: the header did not come through all of them
        (3, f"{CLIENT}, 10.0.0.5"),
    ],
)
def test_a_short_or_missing_header_falls_back_to_the_peer(proxies, count, xff):
    proxies(count)
    assert client_ip(meta(xff, remote="192.0.2.44")) == "192.0.2.44"


@pytest.mark.parametrize(
    "entry",
    [
        "not-an-ip",
        "unknown",
        "999.1.1.1",
        "203.0.113.7.8",
        "[::1",
        "<script>",
        "x" * 10_000,
        "1.2.3.4:80:90",
        "1.2.3.4:x",
        "[::1]x",
        "[::1]:",
        "1.2.3.4:",
        "\x00",
    ],
)
def test_garbage_in_the_trusted_entry_falls_back_to_the_peer(proxies, entry):
    proxies(1)
    assert client_ip(meta(f"{CLIENT}, {entry}", remote="192.0.2.44")) == "192.0.2.44"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("203.0.113.7:51234", "203.0.113.7"),
        ("2001:DB8::1", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
    ],
)
def test_the_forms_proxies_write_are_understood(proxies, entry, expected):
    proxies(1)
    assert client_ip(meta(f"spoof, {entry}")) == expected


def test_the_peer_address_is_cleaned_too(proxies):
    proxies(0)
    assert client_ip(meta(remote="::ffff:192.0.2.1")) == "192.0.2.1"
    assert client_ip(meta(remote="")) == UNKNOWN_CLIENT
    assert client_ip(meta(remote=None)) == UNKNOWN_CLIENT
    assert client_ip(meta(remote="garbage")) == UNKNOWN_CLIENT


def test_a_huge_header_is_read_from_the_right_only(proxies):
    proxies(1)
    xff = ",".join(["198.51.100.1"] * 200_000) + f", {CLIENT}"
    assert client_ip(meta(xff)) == CLIENT


def test_it_takes_django_and_drf_requests_and_meta(proxies):
    proxies(1)
    request = RequestFactory().get("/", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=f"spoof, {CLIENT}")
    assert client_ip(request) == CLIENT
    assert client_ip(Request(request)) == CLIENT
    assert client_ip(request.META) == CLIENT


def test_throttles_group_an_ipv6_client_by_its_64(proxies):
    proxies(1)
    first = Request(RequestFactory().get("/", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="2001:db8:1:2::1"))
    second = Request(RequestFactory().get("/", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="2001:db8:1:2:ffff::9"))
    other = Request(RequestFactory().get("/", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="2001:db8:1:3::1"))
    assert throttle_ident(first) == throttle_ident(second) == "2001:db8:1:2::"
    assert throttle_ident(other) != throttle_ident(first)
    assert throttle_ident(Request(RequestFactory().get("/", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=CLIENT))) == CLIENT


def test_the_settings_give_drf_and_allauth_the_same_count():
    assert django_settings.TRUSTED_PROXY_COUNT == 0  # the default: Daphne faces clients
    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == django_settings.TRUSTED_PROXY_COUNT
    assert django_settings.ALLAUTH_TRUSTED_PROXY_COUNT == django_settings.TRUSTED_PROXY_COUNT
    assert django_settings.ACCOUNT_ADAPTER == "users.adapters.AccountAdapter"


def _settings_in_a_new_process(**env: str) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.TRUSTED_PROXY_COUNT, s.REST_FRAMEWORK['NUM_PROXIES'], s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "budgetpay.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_count_comes_from_the_environment():
    result = _settings_in_a_new_process(TRUSTED_PROXY_COUNT="2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "2", "2"]


def test_a_negative_count_refuses_to_start():
    result = _settings_in_a_new_process(TRUSTED_PROXY_COUNT="-1")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["budgetpay: TRUSTED_PROXY_COUNT must be 0 or more, not -1"]


def _views(patterns=None) -> list[type]:
    found = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            found += _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if isinstance(view, type) and issubclass(view, APIView):
                found.append(view)
    return found


@pytest.mark.parametrize("count", [0, 1, 2])
def test_every_throttle_a_stranger_reaches_keys_on_the_client_address(proxies, count):
    """An inventory: any API view that lets an anonymous request reach its throttles
    counts it against client_ip(), so a new view on a stock throttle fails here."""
    proxies(count)
    tricky = [
        meta("198.51.100.1"),
        meta(f"198.51.100.1, {CLIENT}"),
        meta(f"{CLIENT}, garbage"),
        meta(f"a, b, {CLIENT}, 10.0.0.5"),
        meta(None, remote=CLIENT),
    ]
    checked = set()
    for view_class in _views():
        view = view_class()
        view.action = None
        view.kwargs = {}
        view.format_kwarg = None
        for values in tricky:
            request = Request(RequestFactory().post("/", **values))
            request.user = AnonymousUser()
            view.request = request
            if not all(permission.has_permission(request, view) for permission in view.get_permissions()):
                continue  # a stranger is turned away before any throttle
            for throttle in view.get_throttles():
                assert throttle.get_ident(request) == throttle_ident(request), (view_class, type(throttle), values)
                checked.add(view_class.__name__)
    # The views the issue names are among those checked.
    assert {"LoginView", "RefreshView", "RegisterView", "SocialTokenView"} <= checked
