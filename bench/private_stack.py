"""The stack the soak and the fan-out bench run on, all of it their own: a PostgreSQL cluster
and a redis-server on free ports (budgetpay.testing.services' PrivatePostgres and PrivateRedis,
so a Redis restart or a full machine never touches the shared services), Daphne processes,
Celery workers and beat (budgetpay.testing.servers), the settings those processes share, and
the CPU each part used (psutil)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import log, monotonic
from budgetpay.testing.servers import ROOT, DaphneServer, JobProcess, migrate, server_environment
from budgetpay.testing.services import PrivatePostgres, PrivateRedis


def vapid_key_pair() -> tuple[str, str]:
    """A VAPID pair made by the application's own code (notifications.push), in a child
    process: this one stays free of Django."""
    answer = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from notifications.push import vapid_key_pair; print(*vapid_key_pair())",
        ],
        cwd=ROOT,
        env=server_environment(DJANGO_SETTINGS_MODULE="budgetpay.settings", DATABASE_URL="", REDIS_URL=""),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    public, private = answer.stdout.split()[-2:]
    return public, private


def stack_settings(redis_url: str, *, smtp_url: str = "", **extra: str) -> dict[str, str]:
    """The environment every process of the stack shares: Redis as broker (db 1) and channel
    layer (db 0), rules-only insights, receivers on 127.0.0.1 allowed, per-person caps out of
    the way (a soak sends each person hundreds of messages), retries quick enough that a
    minute's outage settles within the run. The sweeper's period and claim lease stay the
    shipped ones (DELIVERY_SWEEP_SECONDS, DELIVERY_CLAIM_SECONDS): shorter leases than the
    queue's wait make the sweeper claim queued rows again and again."""
    public_key, private_key = vapid_key_pair()
    base = redis_url.rsplit("/", 1)[0]
    return {
        "REDIS_URL": f"{base}/0",
        "CELERY_BROKER_URL": f"{base}/1",
        "JOBS_IN_PROCESS": "false",
        "OPENROUTER_API_KEY": "",
        "VAPID_PUBLIC_KEY": public_key,
        "VAPID_PRIVATE_KEY": private_key,
        "VAPID_SUBJECT": "mailto:ops@budgetpay.test",
        "WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8",
        "DELIVERY_RETRY_DELAYS": ",".join(["2", "3", "5", "8", "10"] + ["15"] * 25),
        "PUSH_MAX_PER_MINUTE": "1000000",
        "WEBHOOK_DISABLE_AFTER_FAILURES": "1000000",
        "EMAIL_IMMEDIATE_MAX_PER_HOUR": "1000000",
        "JWT_ACCESS_MINUTES": "600",
        **({"EMAIL_URL": smtp_url} if smtp_url else {}),
        **extra,
    }


@dataclass
class PrivateStack:
    """PostgreSQL and Redis of this run's own; Daphnes, workers and beat started on demand."""

    workdir: Path
    postgres: PrivatePostgres = field(default_factory=PrivatePostgres)
    redis: PrivateRedis | None = None
    daphnes: list[DaphneServer] = field(default_factory=list)
    workers: list[JobProcess] = field(default_factory=list)
    beat: JobProcess | None = None

    def start_services(self) -> None:
        began = monotonic()
        self.postgres.init()
        self.redis = PrivateRedis(self.workdir).start()
        log(f"private PostgreSQL on :{self.postgres.port}, Redis on :{self.redis.port} ({monotonic() - began:.1f} s)")

    @property
    def admin_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.postgres.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.postgres.port}/{name}"

    def create_database(self, name: str, *, template: str | None = None) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.database_url(name)

    def migrated_database(self, name: str, env: dict[str, str]) -> str:
        url = self.create_database(name)
        began = monotonic()
        migrate(url, env)
        log(f"database {name} migrated ({monotonic() - began:.1f} s)")
        return url

    def start_daphnes(self, count: int, database_url: str, settings: dict[str, str]) -> list[DaphneServer]:
        env = {"LOG_LEVEL": "WARNING", "CHANNEL_LAYER_PREFIX": "soak", **settings}
        self.daphnes = [
            DaphneServer(self.workdir, database_url=database_url, name=f"daphne-{i}", **env) for i in range(count)
        ]
        for server in self.daphnes:
            server.launch()
        for server in self.daphnes:
            server.wait_ready(timeout=120)
        return self.daphnes

    def start_jobs(self, workers: int, env: dict[str, str], *, beat: bool = True, concurrency: int = 4) -> None:
        for i in range(len(self.workers), len(self.workers) + workers):
            worker = JobProcess(self.workdir, kind="worker", env=env, name=f"worker-{i + 1}", concurrency=concurrency)
            self.workers.append(worker.start(timeout=120))
        if beat and self.beat is None:
            self.beat = JobProcess(self.workdir, kind="beat", env=env).start(timeout=120)

    def stop_jobs(self) -> None:
        for process in [*self.workers, *([self.beat] if self.beat else [])]:
            process.stop()
        self.workers, self.beat = [], None

    def stop(self) -> None:
        for server in self.daphnes:
            server.stop()
        self.stop_jobs()
        if self.redis:
            self.redis.stop()
        self.postgres.remove()


class CpuSplit:
    """CPU seconds used by named groups of processes between start() and stop(), as cores.
    PostgreSQL counts its postmaster, its live backends and the backends that ended meanwhile
    (the postmaster reaps them: psutil's children_* times)."""

    def __init__(self, groups: dict[str, list[int]], postgres_pid: int | None) -> None:
        self.groups = groups
        self.postgres_pid = postgres_pid

    def _read(self) -> dict[str, float]:
        import psutil

        reading: dict[str, float] = {"at": monotonic()}
        for name, pids in self.groups.items():
            total = 0.0
            for pid in pids:
                try:
                    times = psutil.Process(pid).cpu_times()
                    total += times.user + times.system
                except psutil.Error:
                    pass
            reading[name] = total
        total = 0.0
        if self.postgres_pid:
            try:
                postmaster = psutil.Process(self.postgres_pid)
                times = postmaster.cpu_times()
                total = times.user + times.system + times.children_user + times.children_system
                for child in postmaster.children(recursive=True):
                    try:
                        child_times = child.cpu_times()
                        total += child_times.user + child_times.system
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
        reading["postgres"] = total
        machine = psutil.cpu_times()
        reading["_busy"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        return reading

    def start(self) -> None:
        self.first = self._read()

    def stop(self) -> dict[str, float]:
        last = self._read()
        elapsed = max(1e-6, last["at"] - self.first["at"])
        used = {
            name: round(max(0.0, last[name] - self.first[name]) / elapsed, 2)
            for name in last
            if name not in ("at", "_busy")
        }
        used["machine_busy_cores"] = round((last["_busy"] - self.first["_busy"]) / elapsed, 2)
        return used


def postmaster_pid(postgres: PrivatePostgres) -> int | None:
    """The private cluster's postmaster (first line of postmaster.pid)."""
    try:
        return int((postgres.data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
