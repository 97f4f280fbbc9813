"""The soak (`make soak`, not part of `make test` or CI; docs/performance.md, docs/reliability.md):
at least 100,000 notifications through the stack as production runs it, every channel on,
a fault every 30 seconds, and then every channel's count.

    make soak                                            # 100,000 notifications, at most 45 minutes
    make soak SOAK_ARGS="--notifications 2000 --minutes 3"   # a quick one

The stack is the run's own: a PostgreSQL cluster and a redis-server on free ports
(bench/private_stack.py), two Daphne processes, two Celery workers and beat. Each person has
a socket client (bench/soak_sockets.py: reconnects with since=, counts every id), a push
subscription to the local push service (budgetpay.testing.push_service, which checks VAPID
and decrypts every push), a webhook to a local endpoint that verifies every signature, and
email to a local SMTP server (bench/receivers.py). Notifications come from income writes
through the API (one `income_received` each; an imported statement notifies once, not per
row), at the rate that fits the count into the time cap, held back while the outbox holds more
than --max-backlog open rows: on a machine that sends slower than that rate the run measures
what the stack drains, and fewer notifications than asked are written (`target_reached`).

Faults, one every --fault-every seconds, in turn: Redis restarted without persistence (the
broker's queue and the channel layer's groups are gone), a worker SIGKILLed and started
again, a Daphne SIGKILLed and started again, a receiver down for --outage-seconds (the
webhook endpoint answering 500, then not listening; the push service answering 500; the
SMTP server not listening).

Per channel it prints and writes (bench/results/soak-<date>.json): created, received
unique, lost (created and never received) and duplicates before de-duplication by id.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import KeptConnections, Worker, log, machine, monotonic, raise_open_files
from bench.private_stack import PrivateStack, stack_settings
from bench.receivers import SmtpRecorder, WebhookEndpoint, channel_counts
from bench.soak_faults import RECEIVER_FAULTS, SoakFaults
from budgetpay.testing.push_service import PushService
from budgetpay.testing.servers import ROOT, http_json, server_environment

DATABASE = "bp_soak"


def seed_people(count: int, env: dict[str, str], workdir: Path, database_url: str) -> list[dict[str, Any]]:
    """`count` people with an account and a token each (bench.setup_data), their addresses verified."""
    import subprocess

    import psycopg

    out = workdir / "people.json"
    subprocess.run(
        [sys.executable, "-m", "bench.setup_data", "users", "--count", str(count), "--history-users", "0"]
        + ["--out", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    with psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(
            'INSERT INTO account_emailaddress (user_id, email, verified, "primary") '
            "SELECT id, email, true, true FROM users_user ON CONFLICT DO NOTHING"
        )
    return json.loads(out.read_text())


def steal_seconds() -> float:
    """CPU time the hypervisor gave to others while this machine wanted it (0 off a VM)."""
    import psutil

    return getattr(psutil.cpu_times(), "steal", 0.0)


class Soak(SoakFaults):
    def __init__(self, arguments: argparse.Namespace) -> None:
        self.args = arguments
        self.workdir = Path(tempfile.mkdtemp(prefix="budgetpay-soak-"))
        self.stack = PrivateStack(self.workdir)
        self.cap = arguments.minutes * 60
        # Writes stop early enough for the last outage's retries to settle inside the cap.
        self.write_seconds = self.cap - min(300.0, 0.25 * self.cap)
        self.rate = arguments.rate or arguments.notifications / (0.9 * self.write_seconds)
        self.email = arguments.email != "off"
        self.faults: list[dict[str, Any]] = []
        self.accepted = 0
        self.statuses: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.writing = True
        self.connections = KeptConnections()
        self.backlog = 0
        self.held_back_s = 0.0

    # --- Setup ---

    def enrol(self, index: int, person: dict[str, Any]) -> None:
        """Turn income on for every channel; a device, a webhook."""
        base, token = self.stack.daphnes[index % 2].url, person["token"]
        cells = {"push": True, "webhook": True, **({"email": True} if self.email else {})}
        body = {"channels": {"income_received": cells}}
        if self.email:  # each income mailed at once, not in the day's digest
            body["email_timing"] = {"income_received": "immediate"}
        status, answer = http_json(base, "PATCH", "/api/v1/notification/preferences", body, token)
        if status == 400 and self.email and self.args.email == "auto":
            log(f"the API refuses an email preference ({answer}); the soak runs without email")
            self.email = False
            return self.enrol(index, person)
        assert status == 200, answer
        status, answer = http_json(
            base, "POST", "/api/v1/notification/push-subscriptions", self.push.subscription(), token
        )
        assert status == 201, answer
        body = {"url": self.webhooks.url(str(index)), "types": ["income_received"]}
        status, answer = http_json(base, "POST", "/api/v1/webhooks", body, token)
        assert status == 201, answer
        self.webhooks.add(str(index), answer["secret"])
        return None

    # --- Load ---

    def write(self, index: int, deadline: float) -> None:
        """One income write, retried with its Idempotency-Key on either server until accepted."""
        person = self.people[index % len(self.people)]
        key = str(uuid.uuid4())
        body = {"account": person["account"], "kind": "income", "amount": f"{index % 90 + 10}.25"}
        attempt = 0
        while monotonic() < deadline:
            server = self.stack.daphnes[(index + attempt) % len(self.stack.daphnes)]
            headers = {"Authorization": f"Bearer {person['token']}", "Idempotency-Key": key}
            try:
                status = self.connections.post(server.url, "/api/v1/transactions", body, headers)
            except (OSError, http.client.HTTPException) as error:
                status = error.__class__.__name__
            with self.lock:
                self.statuses[str(status)] += 1
                if status == 201:
                    self.accepted += 1
                    return
            attempt += 1
            time.sleep(min(2.0, 0.2 * attempt))

    def load(self, started: float) -> int:
        """Writes at --rate, held back while the outbox holds more than --max-backlog open rows
        (the stack sends slower than the rate asks: the run then measures what it drains, and
        a row still waiting at the end means late, not lost) and while --writers * 2 writes
        are in flight."""
        scheduled, base, base_count = 0, started, 0
        in_flight = threading.BoundedSemaphore(2 * self.args.writers)
        watch = threading.Thread(target=self.watch_backlog, args=(started,), daemon=True)
        watch.start()

        def window_open() -> bool:
            return scheduled < self.args.notifications and monotonic() - started < self.write_seconds

        with ThreadPoolExecutor(max_workers=self.args.writers) as pool:
            while window_open():
                if self.backlog > self.args.max_backlog:
                    held = monotonic()
                    while self.backlog > self.args.max_backlog and window_open():
                        time.sleep(0.5)
                    self.held_back_s += monotonic() - held
                    base, base_count = monotonic(), scheduled
                due = base + (scheduled - base_count) / self.rate
                delay = due - monotonic()
                if delay > 0:
                    time.sleep(delay)
                while not in_flight.acquire(timeout=0.5):
                    if not window_open():
                        break
                else:
                    if monotonic() - due > 1.0:  # waited for a writer: pace from here, no burst
                        base, base_count = monotonic(), scheduled
                    future = pool.submit(self.write, scheduled, started + max(self.cap - 30, self.write_seconds + 30))
                    future.add_done_callback(lambda _: in_flight.release())
                    scheduled += 1
        self.writing = False
        return scheduled

    def watch_backlog(self, started: float) -> None:
        """The outbox's open rows every 2 s (what load() holds back on), and a line a minute."""
        last_line = monotonic()
        while self.writing:
            try:
                self.backlog = self.open_deliveries()
            except Exception as error:  # PostgreSQL is private and stays up; a hiccup is logged
                log(f"backlog not read: {error!r}")
            if monotonic() - last_line >= 60:
                last_line = monotonic()
                log(
                    f"{monotonic() - started:.0f} s: {self.accepted} writes accepted, "
                    f"{self.backlog} deliveries open, held back {self.held_back_s:.0f} s"
                )
            time.sleep(2)

    # --- Counting ---

    def open_deliveries(self) -> int:
        import psycopg

        with psycopg.connect(self.database_url.replace("postgres://", "postgresql://")) as conn:
            return conn.execute(
                "SELECT count(*) FROM notifications_delivery WHERE state IN ('pending', 'sending', 'failed')"
            ).fetchone()[0]

    def settle(self, deadline: float) -> float:
        began = monotonic()
        while monotonic() < deadline and self.open_deliveries():
            time.sleep(1)
        return round(monotonic() - began, 1)

    def database_facts(self) -> dict[str, Any]:
        import psycopg

        with psycopg.connect(self.database_url.replace("postgres://", "postgresql://")) as conn:
            notifications = conn.execute(
                "SELECT id, user_id FROM notifications_notification WHERE type = 'income_received'"
            ).fetchall()
            deliveries = conn.execute(
                "SELECT d.key, d.channel, d.state, d.attempts, "
                "(SELECT count(*) FROM notifications_deliveryattempt a WHERE a.delivery_id = d.id) "
                "FROM notifications_delivery d"
            ).fetchall()
        return {"notifications": notifications, "deliveries": deliveries}

    def expected_last_ids(self, notifications: list[tuple[int, int]]) -> list[int]:
        last: dict[int, int] = {}
        for notification_id, user_id in notifications:
            last[user_id] = max(last.get(user_id, 0), notification_id)
        return [last.get(person["id"], 0) for person in self.people]

    # --- The run ---

    def run(self) -> dict[str, Any]:
        args = self.args
        began = monotonic()
        result: dict[str, Any] = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "parameters": {**vars(args), "rate_per_s": round(self.rate, 2), "write_seconds": self.write_seconds},
            "machine": machine(),
        }
        raise_open_files(4 * args.people + 4096)
        stolen = steal_seconds()
        try:
            self.stack.start_services()
            return self.soak(result, began)
        finally:
            self.stack.stop()
            # On a VM the hypervisor may run others on "our" cores: the cores taken away, on average.
            result["cpu_steal_cores"] = round((steal_seconds() - stolen) / max(1e-6, monotonic() - began), 2)

    def soak(self, result: dict[str, Any], began: float) -> dict[str, Any]:
        args = self.args
        self.smtp = SmtpRecorder() if self.email else None
        self.webhooks = WebhookEndpoint()
        extra = dict(item.split("=", 1) for item in args.env)
        settings = stack_settings(
            self.stack.redis.url, smtp_url=self.smtp.url if self.smtp else "", THROTTLE_REGISTER="100000/min", **extra
        )
        env = server_environment(**settings)
        self.database_url = self.stack.migrated_database(DATABASE, env)
        env = server_environment(DATABASE_URL=self.database_url, **settings)
        sockets = None
        with PushService(application_server_key=settings["VAPID_PUBLIC_KEY"]) as self.push:
            try:
                self.people = seed_people(args.people, env, self.workdir, self.database_url)
                self.stack.start_daphnes(2, self.database_url, settings)
                self.stack.start_jobs(2, env)
                for index, person in enumerate(self.people):
                    self.enrol(index, person)
                if not self.email and self.smtp:
                    self.smtp.close()
                    self.smtp = None
                log(f"{len(self.people)} people enrolled; email {'on' if self.email else 'off'}")
                sockets = Worker("bench.soak_sockets", env, self.workdir, "sockets")
                urls = [server.ws_url for server in self.stack.daphnes]
                opened = sockets.call(
                    {
                        "cmd": "start",
                        "people": [
                            {"token": p["token"], "urls": urls[i % 2 :] + urls[: i % 2]}
                            for i, p in enumerate(self.people)
                        ],
                    }
                )
                log(f"sockets open: {opened['open']}; writing {args.notifications} at {self.rate:.1f}/s")
                started = monotonic()
                faults = threading.Thread(target=self.fault_loop, args=(started,), daemon=True)
                faults.start()
                scheduled = self.load(started)
                write_end = monotonic()
                faults.join()
                for which in RECEIVER_FAULTS:
                    if self.smtp or not which.startswith("email"):
                        self.receiver_up(which)
                log(f"{self.accepted} of {scheduled} writes accepted in {write_end - started:.0f} s; settling")
                settled_in = self.settle(started + self.cap)
                facts = self.database_facts()
                catch_up = sockets.call(
                    {"cmd": "catch_up", "expected": self.expected_last_ids(facts["notifications"]), "timeout": 60}
                )
                received = sockets.call({"cmd": "collect"})
                sockets.call({"cmd": "close"})
                facts = self.database_facts()  # the outbox as the receivers' counts end
            finally:
                if sockets:
                    sockets.stop()
                self.webhooks.close()
                if self.smtp:
                    self.smtp.close()
            push_received = Counter(message.payload["id"] for message in self.push.messages if message.payload)
            push_rejected = len(self.push.rejected)
        deliveries = facts["deliveries"]
        by_channel = {
            channel: {row[0] for row in deliveries if row[1] == channel} for channel in ("push", "webhook", "email")
        }
        socket_received = Counter({int(key): count for key, count in received["received"].items()})
        channels = {
            "socket": channel_counts({row[0] for row in facts["notifications"]}, socket_received),
            "push": channel_counts(by_channel["push"], push_received),
            "webhook": channel_counts(by_channel["webhook"], self.webhooks.accepted),
        }
        if self.email:
            channels["email"] = channel_counts(by_channel["email"], self.smtp.received)
        for channel, counts in channels.items():
            # Rows still waiting in the outbox when the cap came: late, not given up (and counted as lost).
            counts["still_in_outbox"] = sum(
                1 for row in deliveries if row[1] == channel and row[2] in ("pending", "sending", "failed")
            )
        result.update(
            {
                "email": self.email,
                "writes": {
                    "scheduled": scheduled,
                    "accepted": self.accepted,
                    "seconds": round(write_end - started, 1),
                    "per_s": round(self.accepted / max(1e-6, write_end - started), 1),
                    "held_back_for_backlog_s": round(self.held_back_s, 1),
                    "attempts_by_answer": dict(self.statuses),
                },
                "notifications": len(facts["notifications"]),
                "target_reached": len(facts["notifications"]) >= args.notifications,
                "faults": self.faults,
                "settled_in_s": settled_in,
                "deliveries_by_state": dict(Counter(f"{row[1]} {row[2]}" for row in deliveries).most_common()),
                "tries_recorded": sum(row[4] for row in deliveries),
                "claims_lost_and_taken_again": sum(row[3] - row[4] for row in deliveries),
                "sockets": {key: value for key, value in received.items() if key != "received"} | catch_up,
                "push_rejected": push_rejected,
                "webhook_unverified": self.webhooks.unverified,
                "webhook_answers": dict(self.webhooks.statuses),
                "channels": channels,
                "lost_total": sum(c["lost"] for c in channels.values()),
                "seconds": round(monotonic() - began, 1),
                "logs": str(self.workdir),
            }
        )
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notifications", type=int, default=100_000, help="income writes, one notification each")
    parser.add_argument("--minutes", type=float, default=45.0, help="the whole run's cap, settling included")
    parser.add_argument("--people", type=int, default=200, help="people, each with a socket, a device, a webhook")
    parser.add_argument("--rate", type=float, default=0.0, help="writes per second (default: what fits the cap)")
    parser.add_argument("--writers", type=int, default=24, help="concurrent writer threads")
    parser.add_argument(
        "--max-backlog",
        type=int,
        default=4000,
        help="hold writes back while the outbox has more open rows than this (what the stack drains sets the pace)",
    )
    parser.add_argument("--fault-every", type=float, default=30.0, help="seconds between faults")
    parser.add_argument("--outage-seconds", type=float, default=60.0, help="how long a receiver stays down")
    parser.add_argument(
        "--email",
        choices=("auto", "on", "off"),
        default="auto",
        help="email to the local SMTP server (auto: on when the API takes an email preference)",
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="a setting for every process of the stack"
    )
    parser.add_argument("--out", help="JSON file (default: bench/results/soak-<date>.json)")
    arguments = parser.parse_args(argv)
    soak = Soak(arguments)
    result = soak.run()
    out = Path(arguments.out or ROOT / "bench" / "results" / f"soak-{datetime.now(UTC):%Y-%m-%d}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps({key: result[key] for key in ("writes", "notifications", "faults", "channels")}, indent=2))
    print(f"\nlost in all: {result['lost_total']}\nJSON: {out}\nlogs: {result['logs']}")
    return 0 if result["lost_total"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
