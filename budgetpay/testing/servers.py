"""Real servers for tests and the benchmark: free ports, the production-like environment of a
server process, the process itself (started, waited for, stopped), a migrated database for it,
JSON over a real socket, and a local HTTP server that stand-ins for outside services answer on.

Standard library only (psycopg and environ are imported where used): bench/ and its worker
processes import this module without Django or pytest."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Self
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The status a GET of `url` answers, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


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


class ServerNotReady(RuntimeError):
    """A server process exited early or did not answer its readiness path in time."""


class ServerProcess:
    """A server process on 127.0.0.1 and a free port of its own, its output appended to a log
    file. Subclasses name the command. start() launches it and waits until `ready_path`
    answers 200; launch() and wait_ready() apart let several processes start at once. After
    stop() (or a kill), start() runs it again on the same port."""

    label = "server"
    ready_path = "/health"

    def __init__(self, logdir: Path, name: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.log_path = Path(logdir) / f"{name}-{self.port}.log"
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log: IO[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def pid(self) -> int:
        return self.process.pid

    def launch(self) -> Self:
        self.log = open(self.log_path, "ab")  # noqa: SIM115  (closed by stop())
        self.process = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerNotReady(f"{self.label} on port {self.port} exited early:\n{self.log_tail()}")
            if http_status(self.url + self.ready_path) == 200:
                return
            time.sleep(0.2)
        raise ServerNotReady(f"{self.label} on port {self.port} did not become ready:\n{self.log_tail()}")

    def start(self) -> Self:
        self.launch()
        self.wait_ready()
        return self

    def log_tail(self, chars: int = 5000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.log:
            self.log.close()


class DaphneServer(ServerProcess):
    """A real Daphne process serving budgetpay.asgi, production-like, on `database_url`."""

    label = "Daphne"

    def __init__(self, workdir: Path, *, database_url: str, name: str = "daphne", **env: str) -> None:
        super().__init__(workdir, name, server_environment(DATABASE_URL=database_url, **env))

    def command(self) -> list[str]:
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "budgetpay.asgi:application"]

    def shell(self, code: str) -> str:
        """Run `code` in `manage.py shell` on this server's database and environment; what it printed."""
        return subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout


class JobProcess:
    """A real Celery worker or beat process (budgetpay.celery) with the environment of the
    server processes, its output appended to a log file. start() waits until it is ready:
    a worker answers a ping over the broker; beat has written its first schedule line."""

    def __init__(self, logdir: Path, *, kind: str, env: dict[str, str], name: str = "", concurrency: int = 4) -> None:
        assert kind in ("worker", "beat")
        self.kind = kind
        self.name = name or kind
        self.env = env
        self.concurrency = concurrency
        self.log_path = Path(logdir) / f"{self.name}.log"
        self.process: subprocess.Popen | None = None
        self.log: IO[bytes] | None = None

    def command(self) -> list[str]:
        base = [sys.executable, "-m", "celery", "-A", "budgetpay.celery"]
        if self.kind == "worker":
            return [
                *base,
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                str(self.concurrency),
                "--hostname",
                f"{self.name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ]
        return [*base, "beat", "--loglevel", "INFO", "--pidfile", ""]

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self, timeout: float = 60) -> Self:
        self.log = open(self.log_path, "ab")  # noqa: SIM115  (closed by stop())
        self.process = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        marker = "ready." if self.kind == "worker" else "beat: Starting"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerNotReady(f"celery {self.kind} exited early:\n{self.log_tail()}")
            if marker in self.log_tail(100_000):
                return self
            time.sleep(0.2)
        raise ServerNotReady(f"celery {self.kind} did not become ready:\n{self.log_tail()}")

    def log_tail(self, chars: int = 5000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, tasks in hand are lost (the sweeper must find them)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.log:
            self.log.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.log:
            self.log.close()


def recreate_postgres_database(admin_url: str, name: str) -> None:
    """Drop (even with sessions open) and create database `name`; `admin_url` names a database
    to connect to meanwhile, such as postgres://.../postgres."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def migrate(database_url: str, env: dict[str, str]) -> None:
    """Apply every migration to `database_url`, in a process of its own."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env={**env, "DATABASE_URL": database_url},
        check=True,
        capture_output=True,
        timeout=300,
    )


def prepare_e2e_database(workdir: Path, name: str, base_url: str | None = None) -> str:
    """A migrated database for real server processes: a fresh PostgreSQL database
    next to `base_url` (default DATABASE_URL) when that is PostgreSQL, else a SQLite file."""
    import environ

    database_url = base_url or os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        database = f"{environ.Env.db_url_config(database_url)['NAME']}_{name}"
        server = database_url.rsplit("/", 1)[0]
        recreate_postgres_database(f"{server}/postgres", database)
        database_url = f"{server}/{database}"
    else:
        path = Path(workdir) / f"{name}.sqlite3"
        path.unlink(missing_ok=True)
        database_url = f"sqlite:///{path}"
    migrate(database_url, server_environment())
    return database_url


@contextmanager
def site_server(tmp_path_factory, name: str, *, database_url: str | None = None, **env: str) -> Iterator[DaphneServer]:
    """A real Daphne for one module's browser tests, on `database_url` or else a database of
    its own. Its channel layer prefix is its own, so a shared Redis never mixes its people's
    groups with another test server's."""
    workdir = tmp_path_factory.mktemp(name)
    server = DaphneServer(
        workdir,
        database_url=database_url or prepare_e2e_database(workdir, name.replace("-", "_")),
        name=name,
        CHANNEL_LAYER_PREFIX=f"budgetpay-{name}",
        **env,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def daphne_processes(
    workdir: Path, *, database_url: str, redis_url: str, prefix: str, count: int = 2, **env: str
) -> Iterator[list[DaphneServer]]:
    """`count` Daphne processes on one database sharing Redis (their channel layer, under `prefix`),
    as production runs several; started at once, stopped on the way out."""
    servers = [
        DaphneServer(
            workdir,
            database_url=database_url,
            name=f"{prefix}-{i}",
            REDIS_URL=redis_url,
            CHANNEL_LAYER_PREFIX=prefix,
            **env,
        )
        for i in range(count)
    ]
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


def http_json(
    base_url: str,
    method: str,
    path: str,
    body: dict | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict]:
    """One JSON request over a real socket; returns (status, parsed body)."""
    request = urllib.request.Request(
        base_url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def register(base_url: str, email: str, password: str) -> dict:
    """A new person, signed up through the API of the server at `base_url`: their tokens."""
    status, tokens = http_json(base_url, "POST", "/api/v1/auth/register", {"email": email, "password": password})
    assert status == 201, tokens
    return tokens


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

    def __enter__(self) -> FakeHTTPServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
