"""Budget Pay's benchmark against the real stack: PostgreSQL, Redis and K server processes.

    make bench                      # creates .venv, installs, runs the default size (< 10 min)
    python -m bench.run --size tiny # what CI runs (bench/test_bench_smoke.py)

What it measures (docs/performance.md explains each figure and the machine):
  1. POST /api/v1/transactions -> WebSocket frame latency, open loop at a fixed rate,
     with every subscriber connected, counted from each write's due time;
  2. notifications/s delivered with zero loss, in rising steps until it saturates:
     through notify() (the full write path) and through the channel layer alone;
  3. idle sockets held per process, memory per socket, a connection storm;
  4. REST throughput, latency and query count of the transaction list and create;
  5. the physical limit on the same machine in the same run: redis-py PUBLISH into a
     bare websockets server, same payloads, same clients; Budget Pay as ratios to it;
  6. A/B: RedisChannelLayer vs RedisPubSubChannelLayer, Daphne vs Uvicorn.
It prints a table and writes JSON (bench/results/latest.json unless --out).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.common import (
    BenchError,
    Worker,
    log,
    machine,
    monotonic,
    raise_open_files,
    servers_rss_kib,
    start_servers,
)
from bench.parts import latency, rest, sockets, throughput
from bench.session import Arm, Session
from bench.stack import (
    CpuMeter,
    check_services,
    configured_layer,
    forget_redis_keys,
    postgres_max_connections,
)
from budgetpay.testing.servers import ROOT, migrate, recreate_postgres_database

SIZES: dict[str, dict[str, Any]] = {
    "default": {
        "processes": 2,
        "subscribers": 1000,
        "subscriber_workers": 2,
        "producers": 2,
        "storm_rate": 100.0,
        "latency_rate": 20.0,
        "latency_seconds": 15.0,
        "notify_rates": [100, 200, 300, 400, 600, 800, 1000, 1500],
        "layer_rates": [500, 1000, 2000, 3000, 4000, 5000, 6000, 8000],
        "raw_rates": [500, 1000, 2000, 4000, 6000, 8000, 12000, 16000, 24000],
        "step_seconds": 4.0,
        "idle_per_process": 5000,
        "idle_processes": 1,
        "idle_hold_seconds": 10.0,
        "rest_seconds": 8.0,
        "rest_concurrency": 8,
        "history_users": 200,
        "history_each": 60,
    },
    "small": {
        "processes": 2,
        "subscribers": 200,
        "subscriber_workers": 2,
        "producers": 2,
        "storm_rate": 100.0,
        "latency_rate": 20.0,
        "latency_seconds": 5.0,
        "notify_rates": [100, 300, 600],
        "layer_rates": [250, 1000, 2000],
        "raw_rates": [250, 1000, 2000],
        "step_seconds": 3.0,
        "idle_per_process": 500,
        "idle_processes": 2,
        "idle_hold_seconds": 3.0,
        "rest_seconds": 3.0,
        "rest_concurrency": 8,
        "history_users": 50,
        "history_each": 60,
    },
    "tiny": {
        "processes": 2,
        "subscribers": 20,
        "subscriber_workers": 1,
        "producers": 1,
        "storm_rate": 40.0,
        "latency_rate": 10.0,
        "latency_seconds": 2.0,
        "notify_rates": [50],
        # 50/s: the core layer's channels hold 100 messages, so a socket lagging 2 s on a busy
        # CI machine still loses nothing (at 100/s one second did, and dropped 2 of 150).
        "layer_rates": [50],
        "raw_rates": [50, 100],  # 50 too: the report compares the layer with the limit at a shared rate
        "step_seconds": 1.5,
        "idle_per_process": 40,
        "idle_processes": 2,
        "idle_hold_seconds": 1.0,
        "rest_seconds": 1.0,
        "rest_concurrency": 4,
        "history_users": 5,
        "history_each": 60,
    },
}

LAYERS = ("core", "pubsub")
BENCH_DATABASE = "budgetpay_bench"  # dropped and recreated by every run
BENCH_REDIS_DB = 14


class Bench:
    """One run: which arms run which parts, in what order, and the result they add up to."""

    def __init__(self, arguments: argparse.Namespace) -> None:
        self.size_name = arguments.size
        self.size = dict(SIZES[arguments.size])
        if arguments.processes:
            self.size["processes"] = arguments.processes
        if arguments.subscribers:
            self.size["subscribers"] = arguments.subscribers
        if arguments.idle_processes:
            self.size["idle_processes"] = arguments.idle_processes
        self.only = set(arguments.only.split(",")) if arguments.only else None
        self.servers_ab = arguments.servers.split(",")
        self.db_pool = arguments.db_pool
        self.layers_ab = arguments.layers.split(",") if arguments.layers else None
        self.admin_url = arguments.postgres.rstrip("/") + "/postgres"
        self.database_name = arguments.database
        self.session = Session(
            size=self.size,
            database_url=arguments.postgres.rstrip("/") + f"/{self.database_name}",
            redis_url=f"{arguments.redis.rstrip('/')}/{BENCH_REDIS_DB}",
            run_id=f"bench{os.getpid()}",
            workdir=Path(tempfile.mkdtemp(prefix="budgetpay-bench-")),
        )
        self.out = Path(arguments.out)
        self.result: dict[str, Any] = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "size": self.size_name,
            "parameters": self.size,
            "machine": machine(),
            "arms": {},
        }

    def wanted(self, part: str) -> bool:
        if self.only is None:
            return True
        return part in self.only or (part in ("notify", "layer") and "throughput" in self.only)

    def prepare(self) -> None:
        size, session = self.size, self.session
        check_services(self.admin_url, session.redis_url)
        wanted_files = 2 * size["idle_per_process"] * size["idle_processes"] + 4 * size["subscribers"] + 4096
        self.result["open_files_limit"] = raise_open_files(wanted_files)
        self.result["postgres_max_connections"] = postgres_max_connections(self.admin_url)
        log(f"fresh database {self.database_name}, Redis db {BENCH_REDIS_DB}, logs in {session.workdir}")
        recreate_postgres_database(self.admin_url, self.database_name)
        began = monotonic()
        migrate(session.database_url, session.env())
        if self.layers_ab is None:
            configured = configured_layer(session.env())
            self.layers_ab = [configured, *(layer for layer in LAYERS if layer != configured)]
        users_file = session.workdir / "users.json"
        count = max(
            size["subscribers"], size["idle_per_process"] * size["idle_processes"] if self.wanted("idle") else 0
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.setup_data",
                "users",
                "--count",
                str(count),
                "--history-users",
                str(size["history_users"]),
                "--history-each",
                str(size["history_each"]),
                "--out",
                str(users_file),
            ],
            cwd=ROOT,
            env=session.env(),
            check=True,
            timeout=300,
        )
        session.users = json.loads(users_file.read_text())
        log(f"migrated, {len(session.users)} users with tokens in {monotonic() - began:.1f} s")

    def run_arm(self, name: str, kind: str, layer: str | None, parts: set[str], **settings: str) -> dict[str, Any]:
        """K servers of one kind and layer; the subscribers connect as a storm, then each part runs."""
        size, session = self.size, self.session
        prefix = session.prefix(name)
        env = session.env(CHANNEL_LAYER=layer or "core", CHANNEL_LAYER_PREFIX=prefix, RAW_PREFIX=prefix, **settings)
        log(
            f"arm {name}: {size['processes']} × {kind}"
            + (f", {layer} layer" if layer else "")
            + "".join(f", {key}={value}" for key, value in settings.items())
            + f": {', '.join(sorted(parts))}"
        )
        servers = start_servers(kind, size["processes"], env, session.workdir, name)
        meter = CpuMeter({"servers": [s.pid for s in servers], "clients": session.client_pids}, session.redis_url)
        arm = Arm(name, kind, layer, prefix, env, servers, session.users[: size["subscribers"]], meter)
        figures: dict[str, Any] = {"server": kind, "layer": layer, "settings": settings, "processes": size["processes"]}
        producers: list[Worker] = []
        try:
            figures["storm"] = sockets.storm(session, arm)
            figures["settled_after_s"] = sockets.settle(session, arm)
            if "latency" in parts:
                figures["latency"] = latency.measure(session, arm)
            if arm.raw and "raw" in parts:
                figures["raw_steps"] = throughput.steps(session, arm, "raw")
            if {"notify", "layer"} & parts and not arm.raw:
                producers = throughput.start_producers(session, arm)
                for mode in ("notify", "layer"):
                    if mode in parts:
                        figures[f"{mode}_steps"] = throughput.steps(session, arm, mode, producers)
            figures["unexpected_closes"] = sockets.unexpected_closes(session.subscribers_call({"cmd": "status"}))
            figures["server_rss_kib"] = servers_rss_kib(servers)
            if "rest" in parts:
                session.close_sockets()
                figures["rest"] = rest.measure(session, arm)
        finally:
            session.close_sockets()
            for producer in producers:
                producer.stop()
            for server in servers:
                server.stop()
        return figures

    def run(self) -> dict[str, Any]:
        began = monotonic()
        session = self.session
        self.prepare()
        session.start_clients()
        try:
            arms = self.result["arms"]
            configured = self.layers_ab[0]
            self.result["configured_layer"] = configured
            delivery = {part for part in ("latency", "notify", "layer") if self.wanted(part)}
            raw_parts = ({"latency"} & delivery) | ({"raw"} if "layer" in delivery else set())
            if raw_parts:
                arms["raw"] = self.run_arm("raw", "raw", None, raw_parts)
            for layer in self.layers_ab:
                parts = delivery | ({"rest"} if layer == configured and self.wanted("rest") else set())
                if parts:
                    arms[f"daphne+{layer}"] = self.run_arm(f"daphne+{layer}", "daphne", layer, parts)
            self.result["chosen_layer"] = report.choose_layer(arms, self.layers_ab)
            for server in self.servers_ab:
                # The write path (notify()) runs in the producers either way; the server's part is
                # delivery, handshakes and HTTP.
                parts = (delivery - {"notify"}) | ({"rest"} if self.wanted("rest") else set())
                if server != "daphne" and parts:
                    arms[f"{server}+{configured}"] = self.run_arm(f"{server}+{configured}", server, configured, parts)
            if self.db_pool and ({"latency"} & delivery or self.wanted("rest")):
                parts = ({"latency"} & delivery) | ({"rest"} if self.wanted("rest") else set())
                # budgetpay.settings pools PostgreSQL connections; this arm shows what the pool buys.
                arms[f"daphne+{configured}+nopool"] = self.run_arm(
                    f"daphne+{configured}+nopool", "daphne", configured, parts, DB_POOL="false"
                )
            if self.wanted("idle"):
                self.result["idle"] = sockets.idle(session, "daphne", configured)
            if arms.get(f"daphne+{configured}", {}).get("rest"):
                self.result["rest"] = arms[f"daphne+{configured}"]["rest"]
        finally:
            session.stop_clients()
            forget_redis_keys(session.redis_url, session.prefixes)
        self.result["ratios"] = report.ratios(self.result["arms"], self.result.get("configured_layer"))
        self.result["targets"] = report.targets(self.result)
        self.result["seconds"] = round(monotonic() - began, 1)
        self.result["logs"] = str(session.workdir)
        return self.result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument("--processes", type=int, help="server processes (default: 2)")
    parser.add_argument("--subscribers", type=int, help="connected sockets during the delivery scenarios")
    parser.add_argument("--idle-processes", type=int, help="server processes for the idle sockets (default size: 1)")
    parser.add_argument(
        "--only", help="comma-separated parts: latency,throughput (= notify,layer),notify,layer,idle,rest"
    )
    parser.add_argument(
        "--layers",
        help="channel layers to A/B (default: both, budgetpay.settings' default "
        "CHANNEL_LAYER first; that arm also runs the REST and idle parts)",
    )
    parser.add_argument("--servers", default="daphne,uvicorn", help="ASGI servers to A/B")
    parser.add_argument(
        "--db-pool",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run an arm without the PostgreSQL connection pool (DB_POOL=false)",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database; the bench database is dropped and recreated",
    )
    parser.add_argument("--database", default=BENCH_DATABASE, help="the database dropped, recreated and used")
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379"),
        help=f"Redis server URL without a database number; db {BENCH_REDIS_DB} is used",
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "latest.json"))
    arguments = parser.parse_args(argv)
    bench = Bench(arguments)
    try:
        result = bench.run()
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    report.save(result, bench.out)
    print(report.table(result))
    print(f"\nJSON: {bench.out}\nlogs: {result['logs']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
