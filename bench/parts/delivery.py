"""Open-loop writes and what arrived of them: the measurement under the latency and throughput
parts. Each write carries a sequence number and its due time; the subscribers note when the frame
with that number arrived, so lateness counts from when a write was due, not when it was sent."""

from __future__ import annotations

import time
from typing import Any

from bench.common import add_counts, monotonic, summarize
from bench.session import Arm, Session

# A step is sustained when nothing is lost or fails and both the writes and the deliveries keep
# pace: past saturation an open-loop backlog grows, and the p99 with it, beyond this.
STEP_P99_LIMIT_MS = 500.0
DRAIN_SECONDS = 5.0
WARM_UP_SECONDS = 1.0


def publish_raw(session: Session, arm: Arm, rate: float, duration: float, first_seq: int) -> list[dict[str, Any]]:
    """The limit's writes: redis-py PUBLISH from the load generator into the bare servers' channels."""
    return [
        session.loadgen.call(
            {
                "cmd": "raw_open_loop",
                "redis_url": session.redis_url,
                "prefix": arm.prefix,
                "users": arm.users,
                "rate": rate,
                "duration": duration,
                "first_seq": first_seq,
            }
        )
    ]


def arrivals(session: Session, expected: set[int]) -> tuple[dict[int, float], int]:
    """Wait (at most DRAIN_SECONDS) for the expected notifications, then take what arrived:
    the first arrival of each sequence number, and how many arrived more than once."""
    deadline = monotonic() + DRAIN_SECONDS
    first: dict[int, float] = {}
    duplicates = 0
    while True:
        for answer in session.subscribers_call({"cmd": "collect", "clear": True}):
            for seq, at in zip(answer["sequences"], answer["arrivals"], strict=True):
                if seq in first:
                    duplicates += 1
                    first[seq] = min(first[seq], at)
                else:
                    first[seq] = at
        if expected <= first.keys() or monotonic() > deadline:
            break
        time.sleep(0.25)
    return first, duplicates


def evaluate(session: Session, produced: list[dict[str, Any]], rate: float, seconds: float) -> dict[str, Any]:
    """One step's figures from the producers' answers and the subscribers' arrivals, and whether it passed."""
    records = [record for answer in produced for record in answer["records"]]
    errors = add_counts(produced)
    expected = {record[0] for record in records}
    arrived, duplicates = arrivals(session, expected)
    delivered = [(arrived[seq] - due) * 1000 for seq, due, _ in records if seq in arrived]
    write = [(done - due) * 1000 for _, due, done in records]
    lost = len(records) - len(delivered)
    started = min(answer["start"] for answer in produced)
    last_arrival = max((arrived[seq] for seq in expected if seq in arrived), default=started)
    step = {
        "target_rate": rate,
        "seconds": seconds,
        "created": len(records),
        "failed_writes": sum(errors.values()),
        "errors": errors,
        "delivered": len(delivered),
        "lost": lost,
        "duplicates": duplicates,
        "created_per_s": round(len(records) / seconds, 1),
        "delivered_per_s": round(len(delivered) / max(seconds, last_arrival - started), 1),
        "latency_ms": summarize(delivered),
        "write_ms": summarize(write),
    }
    reasons = []
    if lost:
        reasons.append(f"lost {lost}")
    if step["failed_writes"]:
        reasons.append(f"{step['failed_writes']} writes failed")
    if step["write_ms"]["p99"] is not None and step["write_ms"]["p99"] > STEP_P99_LIMIT_MS:
        reasons.append(f"writes fall behind (p99 {step['write_ms']['p99']:.0f} ms)")
    if step["latency_ms"]["p99"] is not None and step["latency_ms"]["p99"] > STEP_P99_LIMIT_MS:
        reasons.append(f"delivery falls behind (p99 {step['latency_ms']['p99']:.0f} ms)")
    step["lost_sample"] = [seq for seq, _, _ in records if seq not in arrived][:10]
    step["passed"] = not reasons
    step["why_not"] = ", ".join(reasons)
    return step
