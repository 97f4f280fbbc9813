"""The sign-in, sign-up, refresh and social-login throttles, and allauth's page sign-in limit,
count against the client's address (budgetpay.client_ip): a forged X-Forwarded-For never
opens a new bucket, and behind one proxy each client has its own."""

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db

NGINX = "127.0.0.1"
ATTACKER = "203.0.113.66"
NEIGHBOUR = "198.51.100.23"
RATES = {"login": "3/min", "register": "3/min", "token_refresh": "3/min", "social_login": "3/min"}


@pytest.fixture
def tight_rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", RATES)


def post_login(client, i):
    return client.post("/api/v1/auth/token", {"email": "ada@example.com", "password": f"wrong-{i}"}, format="json")


def post_register(client, i):
    return client.post("/api/v1/auth/register", {"email": f"p{i}@example.com", "password": "x"}, format="json")


def post_refresh(client, i):
    return client.post("/api/v1/auth/token/refresh", {"refresh": f"forged-{i}"}, format="json")


def post_social(client, i):
    return client.post("/api/v1/auth/social/google", {"token": f"forged-{i}"}, format="json")


ENDPOINTS = {"login": post_login, "register": post_register, "refresh": post_refresh, "social": post_social}


def as_client(*, proxies: int, address: str, spoof: str | None) -> dict:
    """What Daphne hands Django for `address`: with no proxy the peer is the client; behind
    nginx the peer is nginx and nginx appended `address` to what the client wrote."""
    if proxies == 0:
        return {"REMOTE_ADDR": address, **({"HTTP_X_FORWARDED_FOR": spoof} if spoof else {})}
    return {"REMOTE_ADDR": NGINX, "HTTP_X_FORWARDED_FOR": f"{spoof}, {address}" if spoof else address}


def spoofs(count):
    return [f"10.{i}.{i}.{i}" for i in range(1, count + 1)]


@pytest.mark.parametrize("proxies", [0, 1])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_forged_forwarded_header_does_not_reset_the_throttle(settings, tight_rates, proxies, endpoint):
    settings.TRUSTED_PROXY_COUNT = proxies
    send, client = ENDPOINTS[endpoint], APIClient()
    statuses = []
    for i, spoof in enumerate(spoofs(6)):
        client.defaults.update(as_client(proxies=proxies, address=ATTACKER, spoof=spoof))
        statuses.append(send(client, i).status_code)
    assert 429 not in statuses[:3], statuses
    assert statuses[3:] == [429, 429, 429], statuses


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_behind_one_proxy_each_client_has_its_own_bucket(settings, tight_rates, endpoint):
    settings.TRUSTED_PROXY_COUNT = 1
    send = ENDPOINTS[endpoint]
    attacker = APIClient(**as_client(proxies=1, address=ATTACKER, spoof=None))
    for i in range(3):
        assert send(attacker, i).status_code != 429
    assert send(attacker, 3).status_code == 429
    # Another person behind the same nginx is not locked out by the attacker...
    neighbour = APIClient(**as_client(proxies=1, address=NEIGHBOUR, spoof=None))
    assert send(neighbour, 10).status_code != 429
    # ...and the attacker cannot use the neighbour's bucket by writing the neighbour's address.
    assert send(APIClient(**as_client(proxies=1, address=ATTACKER, spoof=NEIGHBOUR)), 11).status_code == 429


def test_a_request_that_bypassed_the_proxy_counts_against_its_peer(settings, tight_rates):
    settings.TRUSTED_PROXY_COUNT = 2  # configured for a load balancer + nginx, reached with one entry
    client = APIClient(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="10.9.9.9")
    statuses = [post_login(client, i).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    client = APIClient(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="10.8.8.8")  # another short header
    assert post_login(client, 5).status_code == 429


# --- allauth's page sign-in (/accounts/login/): login_failed is 10 per minute per address ---

FAILED_PER_ADDRESS = 10


def page_sign_in(client: Client, i: int, **extra: str):
    # A different email each time: allauth also limits per email (5 in 5 minutes); this is about the address.
    return client.post("/accounts/login/", {"login": f"someone{i}@example.com", "password": "wrong"}, **extra)


def locked_out(response) -> bool:
    assert response.status_code == 200
    return b"Too many failed login attempts" in response.content


@pytest.mark.parametrize("proxies", [0, 1])
def test_page_sign_in_limit_holds_against_a_forged_header(settings, proxies):
    settings.TRUSTED_PROXY_COUNT = proxies
    client = Client()
    outcomes = [
        locked_out(page_sign_in(client, i, **as_client(proxies=proxies, address=ATTACKER, spoof=spoof)))
        for i, spoof in enumerate(spoofs(FAILED_PER_ADDRESS + 3))
    ]
    assert outcomes == [False] * FAILED_PER_ADDRESS + [True] * 3


@pytest.mark.parametrize("proxies", [0, 1])
def test_page_sign_in_limit_is_per_client_not_site_wide(settings, proxies):
    settings.TRUSTED_PROXY_COUNT = proxies
    attacker = Client(**as_client(proxies=proxies, address=ATTACKER, spoof=None))
    for i in range(FAILED_PER_ADDRESS):
        assert not locked_out(page_sign_in(attacker, i))
    assert locked_out(page_sign_in(attacker, 100))
    # Behind nginx every request's peer is nginx: the attacker must not lock everyone else out.
    neighbour = Client(**as_client(proxies=proxies, address=NEIGHBOUR, spoof=None))
    assert not locked_out(page_sign_in(neighbour, 200))


def test_page_sign_in_with_a_short_forwarded_header_is_not_a_server_error(settings):
    # allauth's own helper raises ImproperlyConfigured (a 500) when X-Forwarded-For has fewer
    # entries than ALLAUTH_TRUSTED_PROXY_COUNT; a client can always send such a header.
    settings.TRUSTED_PROXY_COUNT = 2
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    client = Client(REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="garbage")
    assert not locked_out(page_sign_in(client, 1))
