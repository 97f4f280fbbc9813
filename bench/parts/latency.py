"""Part 1: write -> WebSocket frame latency, open loop at a fixed rate with every subscriber
connected, counted from each write's due time: POST /api/v1/transactions for Budget Pay,
PUBLISH for the limit."""

from __future__ import annotations

from typing import Any

from bench.common import log
from bench.parts.delivery import WARM_UP_SECONDS, evaluate, publish_raw
from bench.session import Arm, Session


def measure(session: Session, arm: Arm) -> dict[str, Any]:
    rate, seconds = session.size["latency_rate"], session.size["latency_seconds"]

    def writes(duration: float) -> list[dict[str, Any]]:
        first = session.next_seqs(int(rate * duration))
        if arm.raw:
            return publish_raw(session, arm, rate, duration, first)
        return [
            session.loadgen.call(
                {
                    "cmd": "rest_open_loop",
                    "servers": arm.ports,
                    "users": arm.users,
                    "rate": rate,
                    "duration": duration,
                    "first_seq": first,
                }
            )
        ]

    writes(WARM_UP_SECONDS)  # first requests on each process and connection: not measured
    arm.meter.start()
    produced = writes(seconds)
    step = evaluate(session, produced, rate, seconds)
    step["cpu"] = arm.meter.stop()
    log(
        f"  latency @{rate:g}/s: p50 {step['latency_ms']['p50']} p95 {step['latency_ms']['p95']} "
        f"p99 {step['latency_ms']['p99']} max {step['latency_ms']['max']} ms (the write alone: p50 "
        f"{step['write_ms']['p50']} p99 {step['write_ms']['p99']} ms), lost {step['lost']}, failed {step['failed_writes']}"
    )
    return step
