"""Shared fixtures: users, API clients, real local stand-ins for outside services,
and access to the PostgreSQL/Redis the suite runs against in CI."""

import json
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


# A route answers (status, JSON payload) or (status, raw bytes, content type).
Route = Callable[[dict], tuple]


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
                answer = route(request) if route else (404, {"error": "no such route"})
                status, payload = answer[0], answer[1]
                if isinstance(payload, bytes):
                    data, content_type = payload, answer[2]
                else:
                    data, content_type = json.dumps(payload).encode(), "application/json"
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

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


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis the suite runs against: REDIS_URL, else the local default; reachable or not-run."""
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis at {url} is not reachable: {exc}")
    return url


def prepare_e2e_database(workdir, name: str, base_url: str | None = None) -> str:
    """A migrated database for real server processes: a fresh PostgreSQL database
    next to `base_url` (default DATABASE_URL) when that is PostgreSQL, else a SQLite file."""
    import subprocess
    import sys

    import environ

    database_url = base_url or os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        config = environ.Env.db_url_config(database_url)
        database = f"{config['NAME']}_{name}"
        _recreate_postgres_database(config, database)
        database_url = database_url.rsplit("/", 1)[0] + f"/{database}"
    else:
        path = workdir / f"{name}.sqlite3"
        path.unlink(missing_ok=True)
        database_url = f"sqlite:///{path}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT, env={**server_environment(), "DATABASE_URL": database_url},
        check=True, capture_output=True, timeout=300,
    )
    return database_url


def _recreate_postgres_database(config: dict, name: str) -> None:
    import psycopg

    with psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


ROOT = os.path.dirname(os.path.abspath(__file__))


def server_environment(**overrides: str) -> dict[str, str]:
    """The environment of a production-like server process (DEBUG off)."""
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "e2e-only-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "false",
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }


class DaphneServer:
    """A real Daphne process serving budgetpay.asgi on a free port."""

    def __init__(self, workdir, *, database_url: str, name: str = "daphne", **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{name}-{self.port}.log"
        self.env = server_environment(DATABASE_URL=database_url, **env)
        self.process = None

    def start(self) -> "DaphneServer":
        import subprocess
        import sys
        import time
        import urllib.request

        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "budgetpay.asgi:application"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Daphne exited early:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"Daphne did not become healthy:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except Exception:
                self.process.kill()
        if getattr(self, "log", None):
            self.log.close()


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory) -> str:
    return prepare_e2e_database(tmp_path_factory.mktemp("e2e-db"), "e2e")


@pytest.fixture(scope="session")
def daphne_server(tmp_path_factory, e2e_database_url) -> Iterator[DaphneServer]:
    server = DaphneServer(tmp_path_factory.mktemp("daphne"), database_url=e2e_database_url).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """DATABASE_URL when it names PostgreSQL, else the local default; reachable or not-run."""
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/budgetpay"
    try:
        psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=2).close()
    except psycopg.Error as exc:
        service_unavailable(f"PostgreSQL at {url} is not reachable: {exc}")
    return url


class PrivateRedis:
    """A redis-server of the test's own on a free port, to stop and start at will
    without touching the machine's shared one."""

    def __init__(self, workdir) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process = None

    def start(self) -> "PrivateRedis":
        import shutil
        import subprocess
        import time

        import redis

        binary = shutil.which("redis-server")
        if binary is None:
            service_unavailable("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
                return self
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


def http_json(base_url: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    """One JSON request over a real socket; returns (status, parsed body)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        base_url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class FakeOpenRouter:
    """OpenRouter's chat-completions protocol on a real local server. Tests queue
    replies; each request takes the next one (or the default text reply)."""

    def __init__(self, server: FakeHTTPServer) -> None:
        self.server = server
        self.replies: list[Callable[[dict], tuple]] = []
        self.default_text = "Keep going: your spending is on track."
        server.route("POST", "/api/v1/chat/completions", self._answer)

    @property
    def base_url(self) -> str:
        return f"{self.server.url}/api/v1"

    @property
    def calls(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.server.requests if r["path"] == "/api/v1/chat/completions"]

    def _answer(self, request: dict) -> tuple:
        body = json.loads(request["body"])
        reply = self.replies.pop(0) if self.replies else (lambda body: self.text_body(body, self.default_text))
        return reply(body)

    @staticmethod
    def completion(body: dict, message: dict, finish_reason: str = "stop") -> tuple:
        return 200, {
            "id": "gen-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
        }

    def text_body(self, body: dict, text: str) -> tuple:
        if body.get("stream"):
            return self.stream_body(body, text)
        return self.completion(body, {"role": "assistant", "content": text})

    def stream_body(self, body: dict, text: str) -> tuple:
        events = []
        for piece in [text[i : i + 8] for i in range(0, len(text), 8)]:
            chunk = {"id": "gen-1", "object": "chat.completion.chunk", "created": 1700000000, "model": body["model"],
                     "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            events.append(f"data: {json.dumps(chunk)}\n\n")
        usage = {"id": "gen-1", "object": "chat.completion.chunk", "created": 1700000000, "model": body["model"],
                 "choices": [], "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70}}
        events.append(f"data: {json.dumps(usage)}\n\n")
        events.append("data: [DONE]\n\n")
        return 200, "".join(events).encode(), "text/event-stream"

    def reply_text(self, text: str) -> None:
        self.replies.append(lambda body: self.text_body(body, text))

    def reply_tool_call(self, name: str, arguments: dict | str, call_id: str = "call_1", content: str = "") -> None:
        """A reply asking for one tool, after `content` (text some models write first)."""
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
        message = {"role": "assistant", "content": content or None,
                   "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": raw}}]}
        self.replies.append(
            lambda body: self.stream_tool_call_body(body, call_id, name, raw, content)
            if body.get("stream")
            else self.completion(body, message, "tool_calls")
        )

    @staticmethod
    def stream_tool_call_body(body: dict, call_id: str, name: str, raw: str, content: str = "") -> tuple:
        """A tool call streamed as OpenAI-compatible providers send it: any text first,
        then the call's id and name, the arguments in pieces, finish_reason "tool_calls"."""

        def chunk(delta: dict, finish_reason: str | None = None) -> str:
            return "data: " + json.dumps({
                "id": "gen-1", "object": "chat.completion.chunk", "created": 1700000000, "model": body["model"],
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }) + "\n\n"

        events = [chunk({"role": "assistant", "content": content[i : i + 8]}) for i in range(0, len(content), 8)]
        events += [chunk({"role": "assistant", "tool_calls": [
            {"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}]})]
        for piece in [raw[i : i + 10] for i in range(0, len(raw), 10)]:
            events.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
        events.append(chunk({}, "tool_calls"))
        events.append("data: [DONE]\n\n")
        return 200, "".join(events).encode(), "text/event-stream"

    def reply_error(self, status: int, times: int = 1) -> None:
        for _ in range(times):
            self.replies.append(lambda body: (status, {"error": {"message": "upstream trouble", "code": status}}))

    def reply_slowly(self, seconds: float, text: str = "too late") -> None:
        import time

        def slow(body: dict) -> tuple:
            time.sleep(seconds)
            return self.text_body(body, text)

        self.replies.append(slow)


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


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temporary folder, a free
    port), to stop and start mid-test without touching the machine's shared one."""

    def __init__(self) -> None:
        import glob
        import tempfile
        from pathlib import Path

        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        self.bin = binaries[-1] if binaries else None
        self.port = free_port()
        # Its own folder: the server runs as the postgres user, who cannot enter pytest's tmp_path.
        self.workdir = Path(tempfile.mkdtemp(prefix="budgetpay-pg-"))
        self.data = self.workdir / "pgdata"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/budgetpay"

    def _as_postgres(self, *command: str) -> None:
        import subprocess

        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=120)

    def init(self) -> "PrivatePostgres":
        import shutil

        if self.bin is None or shutil.which("runuser") is None:
            service_unavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        shutil.chown(self.workdir, user="postgres")
        self._as_postgres(f"{self.bin}/initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.start()
        self._as_postgres(f"{self.bin}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "budgetpay")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._as_postgres(f"{self.bin}/pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.workdir / "pg.log"), "-w", "start")

    def stop(self) -> None:
        self._as_postgres(f"{self.bin}/pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        import shutil
        import subprocess

        subprocess.run(
            ["runuser", "-u", "postgres", "--", f"{self.bin}/pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True, timeout=60,
        )
        shutil.rmtree(self.workdir, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres().init()
    yield server
    server.remove()


CHROMIUM = os.environ.get("BUDGETPAY_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flag Chromium reaches for Google's hosts at start, which
# this machine's closed network refuses.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (no `playwright install`), one per test module."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        service_unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_unavailable("Playwright for Python is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def site_server(tmp_path_factory, name: str, **env: str) -> Iterator[DaphneServer]:
    """A real Daphne on a database of its own, for one module's browser tests. Its channel
    layer prefix is its own too, so a shared Redis never mixes its people's groups with
    another test server's."""
    workdir = tmp_path_factory.mktemp(name)
    server = DaphneServer(
        workdir, database_url=prepare_e2e_database(workdir, name.replace("-", "_")), name=name,
        CHANNEL_LAYER_PREFIX=f"budgetpay-{name}", **env,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
