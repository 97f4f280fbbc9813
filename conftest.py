"""The suite's shared fixtures: clean state per test, people and their clients, the ledger
defaults every new user starts with, real local stand-ins for outside services, the
PostgreSQL/Redis the suite runs against in CI, real servers and a browser. What they are
built from lives in budgetpay.testing."""

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.test import Client
from rest_framework.test import APIClient

from budgetpay.testing.browser import TIMEOUT_MS, PageErrors, chromium
from budgetpay.testing.factories import main_account_of, make_account, make_category
from budgetpay.testing.oauth import FakeGoogle, serve_github, serve_google
from budgetpay.testing.openrouter import FakeOpenRouter
from budgetpay.testing.people import client_for, make_user, page_client_for
from budgetpay.testing.servers import DaphneServer, FakeHTTPServer, prepare_e2e_database, site_server
from budgetpay.testing.services import PrivatePostgres, PrivateRedis, suite_postgres_url, suite_redis_url
from transactions.models import Account, Category
from users.models import User

# --- Clean state -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """Throttle counters and rate limits live in the cache: each test starts clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def close_connections_in_committing_socket_tests(request, monkeypatch) -> None:
    """channels' test communicator turns database_sync_to_async's connection cleanup into a
    no-op (right for tests inside one transaction). Tests that commit (transaction=True)
    get the production cleanup back, so connections opened in worker threads do not
    outlive the test and keep PostgreSQL from dropping the test database."""
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        from django.db import close_old_connections

        monkeypatch.setattr("channels.testing.application.no_op", close_old_connections)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Users are made in almost every test; the production hasher would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- People and their clients ------------------------------------------------------------------


@pytest.fixture
def user(db) -> User:
    return make_user()


@pytest.fixture
def other_user(db) -> User:
    return make_user("grace@example.com", full_name="Grace Hopper")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def auth_client(user: User) -> APIClient:
    return client_for(user)


@pytest.fixture
def other_client(other_user: User) -> APIClient:
    return client_for(other_user)


@pytest.fixture
def page_client(user: User) -> Client:
    return page_client_for(user)


# --- The ledger --------------------------------------------------------------------------------


@pytest.fixture
def main_account(user: User) -> Account:
    """The account every new user starts with."""
    return main_account_of(user)


@pytest.fixture
def food(user: User) -> Category:
    return Category.objects.get(user=user, name="Food", kind=Category.Kind.EXPENSE)


@pytest.fixture
def salary(user: User) -> Category:
    return Category.objects.get(user=user, name="Salary", kind=Category.Kind.INCOME)


@pytest.fixture
def books(user: User) -> SimpleNamespace:
    """A user's accounts (two in the user's USD, one in EUR) and categories. The names
    avoid the defaults a new user may receive (Food, Shopping, Salary, Main account...)."""
    return SimpleNamespace(
        main=make_account(user, name="Checking", currency="USD"),
        card=make_account(user, name="Credit", currency="USD"),
        euro=make_account(user, name="Euro card", currency="EUR"),
        food=make_category(user, name="Groceries"),
        shopping=make_category(user, name="Gadgets"),
        salary=make_category(user, name="Wages", kind=Category.Kind.INCOME),
    )


# --- Stand-ins for outside services ------------------------------------------------------------


@pytest.fixture
def fake_http_server() -> Iterator[FakeHTTPServer]:
    with FakeHTTPServer() as server:
        yield server


@pytest.fixture
def fake_openrouter(fake_http_server, settings) -> FakeOpenRouter:
    """AI configured against the stand-in: a key, its URL, quick timeouts, no retries."""
    fake = FakeOpenRouter(fake_http_server)
    settings.OPENROUTER_API_KEY = "sk-or-test"
    settings.OPENROUTER_BASE_URL = fake.base_url
    settings.OPENROUTER_MODELS = ["openai/gpt-4o-mini", "meta-llama/llama-3.1-8b-instruct"]
    settings.OPENROUTER_TIMEOUT_SECONDS = 2.0
    settings.OPENROUTER_MAX_RETRIES = 0
    return fake


@pytest.fixture
def ai_off(settings) -> None:
    settings.OPENROUTER_API_KEY = ""


@pytest.fixture
def google(fake_http_server, monkeypatch) -> FakeGoogle:
    """Google sign-in configured against the stand-in (needs the database)."""
    return serve_google(fake_http_server, monkeypatch)


@pytest.fixture
def github(fake_http_server, monkeypatch) -> None:
    """GitHub sign-in configured against the stand-in (needs the database)."""
    serve_github(fake_http_server, monkeypatch)


# --- PostgreSQL and Redis ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    return suite_redis_url()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return suite_postgres_url()


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres().init()
    yield server
    server.remove()


# --- Real servers and a browser ----------------------------------------------------------------


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory) -> str:
    return prepare_e2e_database(tmp_path_factory.mktemp("e2e-db"), "e2e")


@pytest.fixture(scope="session")
def daphne_server(tmp_path_factory, e2e_database_url) -> Iterator[DaphneServer]:
    server = DaphneServer(tmp_path_factory.mktemp("daphne"), database_url=e2e_database_url).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(request, tmp_path_factory) -> Iterator[DaphneServer]:
    """A real Daphne on a database of its own for one test module, named after it (test_phone.py's
    is "phone"). A module whose site needs settings of its own defines its own `site`."""
    name = request.path.stem.removeprefix("test_").replace("_", "-")
    with site_server(tmp_path_factory, name) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def expect(browser):
    """Playwright's expect, waiting up to TIMEOUT_MS. Imported here, not at the top: where
    Playwright is missing, the browser fixture has already skipped (or failed) the test."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return expect


@pytest.fixture
def page_errors() -> PageErrors:
    """The JavaScript errors of the pages a test watches; the test ends asserting there were none."""
    return PageErrors()
