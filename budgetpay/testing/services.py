"""PostgreSQL and Redis for tests: the ones the suite runs against (reachable, or the test fails
in CI and is skipped on a bare laptop), and private ones a test may stop and start at will."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from budgetpay.testing.servers import free_port

REQUIRE_SERVICES = os.environ.get("BUDGETPAY_REQUIRE_SERVICES") == "1"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/budgetpay"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def service_unavailable(message: str) -> None:
    """A missing PostgreSQL/Redis fails the test in CI and skips it on a bare laptop."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (BUDGETPAY_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def unreachable_postgres(url: str, timeout: float = 2) -> str | None:
    """Why PostgreSQL at `url` (a database URL) cannot be reached, or None when it can."""
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=timeout).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {url} is not reachable: {exc}"
    return None


def unreachable_redis(url: str, timeout: float = 2) -> str | None:
    """Why Redis at `url` cannot be reached, or None when it can."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=timeout).ping()
    except redis.RedisError as exc:
        return f"Redis at {url} is not reachable: {exc}"
    return None


def suite_postgres_url() -> str:
    """DATABASE_URL when it names PostgreSQL, else the local default; reachable or not-run."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_POSTGRES_URL
    if problem := unreachable_postgres(url.rsplit("/", 1)[0] + "/postgres"):
        service_unavailable(problem)
    return url


def suite_redis_url() -> str:
    """The Redis the suite runs against: REDIS_URL, else the local default; reachable or not-run."""
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if problem := unreachable_redis(url):
        service_unavailable(problem)
    return url


class PrivateRedis:
    """A redis-server of the test's own on a free port, to stop and start at will
    without touching the machine's shared one."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process = None

    def start(self) -> PrivateRedis:
        binary = shutil.which("redis-server")
        if binary is None:
            service_unavailable("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if unreachable_redis(self.url, timeout=0.5) is None:
                return self
            time.sleep(0.1)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temporary folder, a free
    port), to stop and start mid-test without touching the machine's shared one."""

    def __init__(self) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        self.bin = binaries[-1] if binaries else None
        self.port = free_port()
        # Its own folder: the server runs as the postgres user, who cannot enter pytest's tmp_path.
        self.workdir = Path(tempfile.mkdtemp(prefix="budgetpay-pg-"))
        self.data = self.workdir / "pgdata"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/budgetpay"

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=120)

    def init(self) -> PrivatePostgres:
        if self.bin is None or shutil.which("runuser") is None:
            service_unavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        shutil.chown(self.workdir, user="postgres")
        self._as_postgres(
            f"{self.bin}/initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"
        )
        self.start()
        self._as_postgres(
            f"{self.bin}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "budgetpay"
        )
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._as_postgres(
            f"{self.bin}/pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.workdir / "pg.log"), "-w", "start"
        )

    def stop(self) -> None:
        self._as_postgres(f"{self.bin}/pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", f"{self.bin}/pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.workdir, ignore_errors=True)
