"""Part 2: notifications/s delivered with zero loss, in rising open-loop steps until one loses,
fails or falls behind: through notify() (the full write path) and through the channel layer
alone, both from producer processes, and for the limit through PUBLISH."""

from __future__ import annotations

from typing import Any

from bench.common import Worker, call_all, log
from bench.parts.delivery import WARM_UP_SECONDS, evaluate, publish_raw
from bench.session import Arm, Session


def start_producers(session: Session, arm: Arm) -> list[Worker]:
    """The processes that write through notify() or the layer; their CPU counts in the arm's meter."""
    producers = [
        Worker("bench.producer", arm.env, session.workdir, f"producer-{arm.name}-{i}")
        for i in range(session.size["producers"])
    ]
    arm.meter.groups["producers"] = [p.process.pid for p in producers]
    return producers


def _shares(producers: list[Worker], arm: Arm) -> list[list[int]]:
    """Each producer writes for its own users: one user's notifications then come from one
    process, in order, as one person's writes do."""
    return [[user["id"] for user in arm.users[i :: len(producers)]] for i in range(len(producers))]


def steps(session: Session, arm: Arm, mode: str, producers: list[Worker] | None = None) -> dict[str, Any]:
    """`mode` is raw (PUBLISH from the load generator), notify or layer (from the producers)."""
    seconds = session.size["step_seconds"]
    results = []
    if producers:  # threads, database and Redis connections: not measured
        call_all(
            producers,
            [
                {
                    "cmd": f"{mode}_open_loop",
                    "users": users,
                    "rate": 20,
                    "duration": WARM_UP_SECONDS,
                    "first_seq": session.next_seqs(100),
                }
                for users in _shares(producers, arm)
            ],
        )
    for rate in session.size[f"{mode}_rates"]:
        first = session.next_seqs(int(rate * seconds) + 10)
        arm.meter.start()
        if mode == "raw":
            produced = publish_raw(session, arm, rate, seconds, first)
        else:
            share = rate / len(producers)
            stride = int(share * seconds) + 10
            command = {"cmd": f"{mode}_open_loop", "rate": share, "duration": seconds}
            produced = call_all(
                producers,
                [
                    {**command, "users": users, "first_seq": first + i * stride}
                    for i, users in enumerate(_shares(producers, arm))
                ],
            )
            session.seq = max(session.seq, first + len(producers) * stride + 1)
        step = evaluate(session, produced, rate, seconds)
        step["cpu"] = arm.meter.stop()
        results.append(step)
        log(
            f"  {mode} {rate:g}/s: delivered {step['delivered_per_s']}/s, lost {step['lost']}, "
            f"p50 {step['latency_ms']['p50']} p99 {step['latency_ms']['p99']} ms, "
            f"write p99 {step['write_ms']['p99']} ms, cpu {step['cpu']}"
            + (f" -> {step['why_not']}" if step["why_not"] else "")
        )
        if not step["passed"]:
            break
    passing = [step for step in results if step["passed"]]
    best = max(passing, key=lambda s: s["created_per_s"], default=None)
    first_fail = next((step for step in results if not step["passed"]), None)
    return {
        "steps": results,
        # Every notification of that step delivered, within the p99 bound: its rate is sustained.
        "sustained_per_s": best["created_per_s"] if best else 0,
        "sustained_p99_ms": best["latency_ms"]["p99"] if best else None,
        "saturated_at": first_fail["target_rate"] if first_fail else None,
        "saturation": first_fail["why_not"] if first_fail else "not reached: raise the rates",
        "peak_delivered_per_s": max((s["delivered_per_s"] for s in results), default=0),
    }
