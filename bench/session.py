"""What the parts of one run share: the run itself (its size, environment, users, client workers
and sequence numbers) and the arm under test (its servers, the users they serve, the CPU meter)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import BenchServer, Worker, bench_environment, call_each
from bench.stack import CpuMeter


class Session:
    """One run against one PostgreSQL database and one Redis database. The users and the client
    workers (subscribers holding the sockets, the load generator writing) come after setup."""

    def __init__(self, size: dict[str, Any], database_url: str, redis_url: str, run_id: str, workdir: Path) -> None:
        self.size = size
        self.database_url = database_url
        self.redis_url = redis_url
        self.run_id = run_id
        self.workdir = workdir
        self.seq = 0
        self.prefixes: list[str] = []
        self.users: list[dict] = []
        self.subscribers: list[Worker] = []
        self.loadgen: Worker | None = None

    def env(self, **overrides: str) -> dict[str, str]:
        return bench_environment(DATABASE_URL=self.database_url, REDIS_URL=self.redis_url, **overrides)

    def next_seqs(self, count: int) -> int:
        """The first of `count` sequence numbers no notification of this run has used yet."""
        first = self.seq
        self.seq += count + 1
        return first

    def prefix(self, name: str) -> str:
        """The channel layer and Redis key prefix for `name`, kept so the run can forget its keys."""
        prefix = f"{self.run_id}-{name}"
        self.prefixes.append(prefix)
        return prefix

    def start_clients(self) -> None:
        self.subscribers = [
            Worker("bench.subscriber", self.env(), self.workdir, f"subscriber-{i}")
            for i in range(self.size["subscriber_workers"])
        ]
        self.loadgen = Worker("bench.loadgen", self.env(), self.workdir, "loadgen")

    @property
    def client_pids(self) -> list[int]:
        return [worker.process.pid for worker in [*self.subscribers, self.loadgen]]

    def stop_clients(self) -> None:
        for worker in [*self.subscribers, self.loadgen]:
            worker.stop()

    def subscribers_call(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        return call_each(self.subscribers, command)

    def close_sockets(self) -> None:
        self.subscribers_call({"cmd": "close"})


@dataclass
class Arm:
    """K servers of one kind and channel layer under test, and the users whose sockets they hold."""

    name: str
    kind: str
    layer: str | None
    prefix: str
    env: dict[str, str]
    servers: list[BenchServer]
    users: list[dict]
    meter: CpuMeter

    @property
    def raw(self) -> bool:
        """The physical limit (redis-py PUBLISH into a bare websockets server), not Budget Pay."""
        return self.kind == "raw"

    @property
    def ports(self) -> list[int]:
        return [server.port for server in self.servers]
