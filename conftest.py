"""Shared fixtures: users, API clients, real local stand-ins for outside services,
and access to the PostgreSQL/Redis the suite runs against in CI."""

import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from users.models import User
from users.services import tokens_for_user

REQUIRE_SERVICES = os.environ.get("BUDGETPAY_REQUIRE_SERVICES") == "1"
TEST_PASSWORD = "correct-horse-battery-staple-42"


def service_unavailable(message: str) -> None:
    """A missing PostgreSQL/Redis fails the test in CI and skips it on a bare laptop."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (BUDGETPAY_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def make_user(email: str = "ada@example.com", **extra: object) -> User:
    extra.setdefault("full_name", "Ada Lovelace")
    return User.objects.create_user(email=email, password=TEST_PASSWORD, **extra)


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
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=user)['access']}")
    return client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


Route = Callable[[dict], tuple[int, object]]


class FakeHTTPServer:
    """A real HTTP server on 127.0.0.1 that answers JSON per path, for services we
    cannot reach from here (Google, GitHub, OpenRouter). Records every request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                request = {"method": self.command, "path": path, "headers": dict(self.headers), "body": body}
                fake.requests.append(request)
                route = fake.routes.get((self.command, path))
                status, payload = route(request) if route else (404, {"error": "no such route"})
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def route(self, method: str, path: str, handler: Route) -> None:
        self.routes[(method, path)] = handler

    def __enter__(self) -> "FakeHTTPServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_http_server() -> Iterator[FakeHTTPServer]:
    with FakeHTTPServer() as server:
        yield server


@pytest.fixture
def redis_url() -> str:
    """The Redis the suite runs against: REDIS_URL, else the local default; reachable or not-run."""
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis at {url} is not reachable: {exc}")
    return url
