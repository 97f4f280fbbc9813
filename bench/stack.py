"""The stack under test, seen from outside: PostgreSQL and Redis reachable (the test suite's
checks), the run's Redis keys forgotten, the channel layer budgetpay.settings chooses, and the
CPU each part of the stack uses."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.common import BenchError, cpu_seconds, monotonic
from budgetpay.testing.servers import ROOT
from budgetpay.testing.services import unreachable_postgres, unreachable_redis


def check_services(admin_url: str, redis_url: str) -> None:
    if problem := unreachable_postgres(admin_url, timeout=3) or unreachable_redis(redis_url, timeout=3):
        raise BenchError(problem)


def postgres_max_connections(admin_url: str) -> int:
    import psycopg

    with psycopg.connect(admin_url) as conn:
        return int(conn.execute("SHOW max_connections").fetchone()[0])


def forget_redis_keys(redis_url: str, prefixes: list[str]) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for prefix in prefixes:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])


def configured_layer(env: dict[str, str]) -> str:
    """The CHANNEL_LAYER budgetpay.settings uses when the environment names none."""
    env = {key: value for key, value in env.items() if key != "CHANNEL_LAYER"}
    answer = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.CHANNEL_LAYER)",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "budgetpay.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if answer.returncode != 0:
        raise BenchError(f"cannot read the configured channel layer: {answer.stderr[-500:]}")
    return answer.stdout.split()[-1]


class CpuMeter:
    """Cores used by each part of the stack between two readings."""

    def __init__(self, groups: dict[str, list[int]], redis_url: str) -> None:
        import redis

        self.groups = dict(groups)
        try:
            self.groups["redis"] = [int(redis.Redis.from_url(redis_url).info("server")["process_id"])]
        except Exception:
            self.groups["redis"] = []

    @staticmethod
    def _postgres_pids() -> list[int]:
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/comm") as comm:
                        if comm.read().strip() == "postgres":
                            pids.append(int(entry))
                except OSError:
                    pass
        return pids

    def _read(self) -> dict[str, float]:
        reading = {"at": monotonic()}
        for name, pids in {**self.groups, "postgres": self._postgres_pids()}.items():
            total = 0.0
            for pid in pids:
                try:
                    total += cpu_seconds(pid)
                except OSError:
                    pass
            reading[name] = total
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        reading["_idle"] = (fields[3] + fields[4]) / os.sysconf("SC_CLK_TCK")
        reading["_all"] = sum(fields[:8]) / os.sysconf("SC_CLK_TCK")
        return reading

    def start(self) -> None:
        self.first = self._read()

    def stop(self) -> dict[str, float]:
        last = self._read()
        elapsed = last["at"] - self.first["at"]
        # Processes that ended in between make a group's sum fall: count what is left.
        used = {
            name: round(max(0.0, last[name] - self.first.get(name, 0.0)) / elapsed, 2)
            for name in last
            if not name.startswith("_") and name != "at"
        }
        busy = (last["_all"] - self.first["_all"]) - (last["_idle"] - self.first["_idle"])
        used["machine_busy_cores"] = round(busy / elapsed, 2)
        return used
