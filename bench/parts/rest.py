"""Part 4: REST throughput, latency and query count of the transaction list and create, closed
loop at a fixed concurrency; the queries per request are counted once, by bench.setup_data."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.common import log, summarize
from bench.session import Arm, Session
from budgetpay.testing.servers import ROOT


def measure(session: Session, arm: Arm) -> dict[str, Any]:
    size = session.size
    queries_file = session.workdir / "queries.json"
    subprocess.run(
        [sys.executable, "-m", "bench.setup_data", "queries", "--out", str(queries_file)],
        cwd=ROOT,
        env=arm.env,
        check=True,
        timeout=120,
    )
    queries = json.loads(queries_file.read_text())
    rest: dict[str, Any] = {"server": arm.kind, "layer": arm.layer, "concurrency": size["rest_concurrency"]}
    for endpoint, users in (
        ("list", session.users[: size["history_users"]]),
        ("create", session.users[: size["subscribers"]]),
    ):
        arm.meter.start()
        answer = session.loadgen.call(
            {
                "cmd": "rest_closed_loop",
                "servers": arm.ports,
                "users": users,
                "endpoint": endpoint,
                "concurrency": size["rest_concurrency"],
                "duration": size["rest_seconds"],
                "first_seq": session.next_seqs(1_000_000),
            }
        )
        rest[endpoint] = {
            "requests_per_s": round(len(answer["latencies_ms"]) / answer["elapsed"], 1),
            "latency_ms": summarize(answer["latencies_ms"]),
            "errors": answer["errors"],
            "queries": queries[endpoint]["queries"],
            "statements": queries[endpoint]["statements"],
            "cpu": arm.meter.stop(),
        }
        log(
            f"  REST {endpoint}: {rest[endpoint]['requests_per_s']} req/s, p50 {rest[endpoint]['latency_ms']['p50']} "
            f"p99 {rest[endpoint]['latency_ms']['p99']} ms, {rest[endpoint]['queries']} queries, errors {answer['errors']}"
        )
    return rest
