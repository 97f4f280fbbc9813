"""Part 3 and the storm every arm opens with: sockets opened by the subscriber workers. The
connection storm (every subscriber at a fixed rate), the wait until the servers are idle again,
and the idle sockets held per process, with the memory each costs in the server and in Redis."""

from __future__ import annotations

import time
from typing import Any

from bench.common import (
    BenchError,
    BenchServer,
    add_counts,
    call_all,
    log,
    monotonic,
    servers_rss_kib,
    start_servers,
    summarize,
)
from bench.session import Arm, Session
from bench.stack import CpuMeter

# Handshakes in flight per subscriber process while the idle sockets open: more only queue
# inside Daphne, past its 5 s websocket_connect_timeout.
IDLE_CONCURRENCY = 25
SETTLE_SECONDS = 15.0


def socket_urls(servers: list[BenchServer], users: list[dict], raw: bool) -> list[str]:
    urls = []
    for i, user in enumerate(users):
        server = servers[i % len(servers)]
        if raw:
            urls.append(f"{server.ws_url}/ws?user={user['id']}")
        else:
            # As the pages do: the count frames are opt-in, and the subscriber waits for the first one.
            urls.append(f"{server.ws_url}/api/v1/notification/ws?token={user['token']}&unread_count=1")
    return urls


def connect(
    session: Session, urls: list[str], rate: float | None, concurrency: int = 100, timeout: float = 15.0
) -> dict[str, Any]:
    workers = session.subscribers
    shares = [urls[i :: len(workers)] for i in range(len(workers))]
    answers = call_all(
        workers,
        [
            {
                "cmd": "connect",
                "urls": share,
                "rate": rate / len(workers) if rate else None,
                "concurrency": concurrency,
                "timeout": timeout,
            }
            for share in shares
        ],
    )
    latencies = [value for answer in answers for value in answer["latencies_ms"]]
    return {
        "attempted": len(urls),
        "failed_urls": [url for answer in answers for url in answer["failed_urls"]],
        "opened": sum(a["opened"] for a in answers),
        "failed": sum(a["failed"] for a in answers),
        "errors": add_counts(answers),
        "seconds": round(max(a["elapsed"] for a in answers), 2),
        "connect_ms": summarize(latencies),
    }


def unexpected_closes(status: list[dict[str, Any]]) -> int:
    """Sockets the servers closed that no one asked to close, from the subscribers' status answers."""
    return sum(sum(s["unexpected_closes"].values()) for s in status)


def storm(session: Session, arm: Arm) -> dict[str, Any]:
    """Every subscriber of the arm connects at the size's storm rate; the figures are the storm's."""
    storm = connect(session, socket_urls(arm.servers, arm.users, arm.raw), rate=session.size["storm_rate"])
    missing = storm.pop("failed_urls")
    log(
        f"  storm: {storm['opened']}/{storm['attempted']} sockets in {storm['seconds']} s, "
        f"connect p50 {storm['connect_ms']['p50']} p99 {storm['connect_ms']['p99']} ms, "
        f"failures {storm['failed']} {storm['errors'] or ''}"
    )
    # The delivery scenarios need every subscriber: the ones the storm refused
    # reconnect, a few at a time, as clients with backoff would (not part of the storm's figures).
    for _ in range(3):
        if not missing:
            break
        retry = connect(session, missing, rate=None, concurrency=IDLE_CONCURRENCY, timeout=30)
        missing = retry["failed_urls"]
        log(f"  reconnected {retry['opened']} refused sockets in {retry['seconds']} s")
    if missing:
        raise BenchError(
            f"arm {arm.name}: {len(missing)} of {len(arm.users)} sockets could not be opened: {storm['errors']}"
        )
    return storm


def settle(session: Session, arm: Arm) -> float:
    """Wait (at most SETTLE_SECONDS) until the servers are idle: handshakes a client gave up
    on are still being worked through after a storm, and would be counted against the
    latency that follows."""
    began = monotonic()
    meter = CpuMeter({"servers": [s.pid for s in arm.servers]}, session.redis_url)
    while monotonic() - began < SETTLE_SECONDS:
        meter.start()
        time.sleep(1.0)
        if meter.stop()["servers"] < 0.1 * len(arm.servers):
            break
    settled = round(monotonic() - began, 1)
    if settled > 1.5:
        log(f"  servers idle again after {settled} s")
    return settled


def idle(session: Session, kind: str, layer: str) -> dict[str, Any]:
    """As many idle sockets per process as the size asks for, held, then pinged."""
    size = session.size
    prefix = session.prefix("idle")
    env = session.env(CHANNEL_LAYER=layer, CHANNEL_LAYER_PREFIX=prefix)
    servers = start_servers(kind, size["idle_processes"], env, session.workdir, "idle")
    import redis

    redis_client = redis.Redis.from_url(session.redis_url)
    try:
        per_process = size["idle_per_process"]
        total = per_process * len(servers)
        users = session.users[:total]
        urls = socket_urls(servers, users, raw=False)
        warm = connect(session, urls[: 10 * len(servers)], rate=None)
        session.close_sockets()
        time.sleep(1)
        before = servers_rss_kib(servers)
        redis_before = redis_client.info("memory")["used_memory"]
        log(f"idle: opening {total} sockets ({per_process} per process) on {kind} with the {layer} layer")
        opened = connect(session, urls, rate=None, concurrency=IDLE_CONCURRENCY, timeout=30)
        opened.pop("failed_urls")
        after = servers_rss_kib(servers)
        redis_after = redis_client.info("memory")["used_memory"]
        log(
            f"  opened {opened['opened']}/{total} in {opened['seconds']} s, failures {opened['failed']} "
            f"{opened['errors'] or ''}; holding {size['idle_hold_seconds']:g} s"
        )
        time.sleep(size["idle_hold_seconds"])
        status = session.subscribers_call({"cmd": "status"})
        pings = session.subscribers_call({"cmd": "ping", "timeout": 20})
        per_connection = [(a - b) / max(1, opened["opened"] / len(servers)) for a, b in zip(after, before, strict=True)]
        figures = {
            "server": kind,
            "layer": layer,
            "warm_up": warm["opened"],
            "target_per_process": per_process,
            "connect": opened,
            "held_after_s": size["idle_hold_seconds"],
            "open_after_hold": sum(s["open"] for s in status),
            "unexpected_closes": unexpected_closes(status),
            "pings_sent": sum(p["sent"] for p in pings),
            "pongs": sum(p["pongs"] for p in pings),
            "rss_before_kib": before,
            "rss_after_kib": after,
            "kib_per_connection": round(sum(per_connection) / len(per_connection), 1),
            "redis_bytes_per_connection": round((redis_after - redis_before) / max(1, opened["opened"])),
        }
        log(
            f"  held {figures['open_after_hold']}, pongs {figures['pongs']}/{figures['pings_sent']}, "
            f"{figures['kib_per_connection']} KiB per socket, Redis {figures['redis_bytes_per_connection']} B per socket"
        )
        return figures
    finally:
        session.close_sockets()
        for server in servers:
            server.stop()
