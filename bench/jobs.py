"""The morning fan-out bench (`make bench-jobs`, apart from `make bench`; docs/performance.md):
10,000 people's morning run, triggered through Celery, with 1 and then 2 workers.

    make bench-jobs                                   # 10,000 people, 1 and 2 workers
    make bench-jobs JOBS_ARGS="--people 500"          # a quick one

The stack is the run's own (bench/private_stack.py): a PostgreSQL cluster and a redis-server
on free ports, Celery workers and beat, rules-written insights (no OPENROUTER_API_KEY). The
people are bulk-written once into a template database (bench/jobs_data.py: a few transactions
each, a device on the local push service, a webhook to a local endpoint, a verified address
for the local SMTP server, every scheduled type on for each channel); each arm runs on a
fresh copy of it, so both arms fan out to the same people.

Each arm sends the entry task (--entry; default notifications.tasks.morning_tick where it
exists, else notifications.tasks.daily_insights_fan_out) and watches the database until
every person was processed and every delivery settled. It reports:
  - jobs/s: people processed (a ScheduledRun row or a notification) per second from the trigger;
  - deliveries/s per channel: sent deliveries per second from the trigger to the channel's
    last one, and how many of them the local receivers counted (unique ids);
  - the CPU split in cores: the workers, beat, PostgreSQL, Redis, and this process (the
    receivers: the push service decrypts every push).
A table on stdout, JSON in bench/results/jobs-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import log, machine, monotonic
from bench.private_stack import CpuSplit, PrivateStack, postmaster_pid, stack_settings
from bench.receivers import SmtpRecorder, WebhookEndpoint
from budgetpay.testing.push_service import PushService
from budgetpay.testing.servers import ROOT, server_environment

TEMPLATE = "bp_jobs_template"
RUN_DATABASE = "bp_jobs_run"
CHANNELS = ("push", "webhook", "email")

PROCESSED_SQL = """
SELECT count(DISTINCT user_id) FROM (
    SELECT user_id FROM notifications_scheduledrun
    UNION ALL SELECT user_id FROM notifications_notification
) AS processed
"""
PROGRESS_SQL = """
SELECT channel, count(*) FILTER (WHERE state = 'sent'),
       count(*) FILTER (WHERE state IN ('pending', 'sending', 'failed')), count(*)
FROM notifications_delivery GROUP BY channel
"""
TIMES_SQL = """
SELECT channel, min(sent_at), max(sent_at) FROM notifications_delivery WHERE state = 'sent' GROUP BY channel
"""


def morning_zone(hour: int, now: datetime) -> str:
    """A fixed-offset zone (Etc/GMT±N, signs inverted as the tz database has them) in which
    it is now `hour` o'clock, so the morning schedule finds everyone due."""
    offset = (hour - now.hour) % 24
    if offset > 14:
        offset -= 24
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


class JobsBench:
    def __init__(self, arguments: argparse.Namespace) -> None:
        self.args = arguments
        self.workdir = Path(tempfile.mkdtemp(prefix="budgetpay-jobs-"))
        self.stack = PrivateStack(self.workdir)

    def query(self, sql: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.run_url.replace("postgres://", "postgresql://")) as conn:
            return conn.execute(sql).fetchall()

    def prepare(self, env: dict[str, str]) -> str:
        """The template database with the people; returns the entry task's default name."""
        template_url = self.stack.migrated_database(TEMPLATE, env)
        devices = self.workdir / "devices.json"
        devices.write_text(json.dumps([self.push.subscription() for _ in range(self.args.people)]))
        out = self.workdir / "people.json"
        began = monotonic()
        subprocess.run(
            [sys.executable, "-m", "bench.jobs_data", "--count", str(self.args.people), "--timezone", self.zone]
            + ["--devices", str(devices), "--webhook-base", self.webhooks.url("").rstrip("/"), "--out", str(out)],
            cwd=ROOT,
            env={**env, "DATABASE_URL": template_url},
            check=True,
            timeout=1800,
        )
        written = json.loads(out.read_text())
        for index, secret in enumerate(written["webhook_secrets"]):
            self.webhooks.add(str(index), secret)
        log(f"{self.args.people} people written in {monotonic() - began:.1f} s (time zone {self.zone})")
        return written["entry_default"]

    def arm(self, workers: int, env: dict[str, str], entry: str) -> dict[str, Any]:
        import redis
        from celery import Celery

        self.run_url = self.stack.create_database(RUN_DATABASE, template=TEMPLATE)
        redis.Redis.from_url(self.stack.redis.url).flushall()
        env = {**env, "DATABASE_URL": self.run_url}
        self.stack.start_jobs(workers, env, concurrency=self.args.concurrency)
        received_before = self.received()
        meter = CpuSplit(
            {
                "workers": [worker.pid for worker in self.stack.workers],
                "beat": [self.stack.beat.pid],
                "redis": [self.stack.redis.process.pid],
                "bench_receivers": [os.getpid()],
            },
            postmaster_pid(self.stack.postgres),
        )
        broker = Celery("bench-jobs", broker=env["CELERY_BROKER_URL"])
        meter.start()
        triggered = monotonic()
        triggered_at = datetime.now(UTC)
        broker.send_task(entry)
        log(f"arm {workers} worker(s): {entry} sent")
        timeline, done_at, last = [], None, (-1, -1)
        while monotonic() - triggered < self.args.timeout:
            processed = self.query(PROCESSED_SQL)[0][0]
            progress = {row[0]: row[1:] for row in self.query(PROGRESS_SQL)}
            open_rows = sum(row[1] for row in progress.values())
            sent = sum(row[0] for row in progress.values())
            now = monotonic() - triggered
            timeline.append([round(now, 1), processed, sent, open_rows])
            if (processed, sent) != last:
                last, done_at = (processed, sent), now
            if processed >= self.args.people and open_rows == 0:
                break
            if processed and open_rows == 0 and now - done_at > self.args.idle_seconds:
                break  # nobody else is due (a person skipped, or the schedule chose fewer)
            time.sleep(0.5)
        cpu = meter.stop()
        processed_at = next((t for t, p, _, _ in timeline if p == timeline[-1][1]), timeline[-1][0])
        times = {row[0]: row[1:] for row in self.query(TIMES_SQL)}
        received = self.received()
        deliveries = {}
        for channel in CHANNELS:
            sent, open_rows, created = progress.get(channel, (0, 0, 0))
            last_sent = times.get(channel, (None, None))[1]
            seconds = (last_sent - triggered_at).total_seconds() if last_sent else None
            deliveries[channel] = {
                "created": created,
                "sent": sent,
                "still_open": open_rows,
                "received_unique": received[channel] - received_before[channel],
                "seconds_from_trigger": round(seconds, 1) if seconds else None,
                "per_s": round(sent / seconds, 1) if seconds else None,
            }
        self.stack.stop_jobs()
        processed = timeline[-1][1]
        return {
            "workers": workers,
            "concurrency": self.args.concurrency,
            "processed": processed,
            "processed_in_s": processed_at,
            "jobs_per_s": round(processed / processed_at, 1) if processed_at else None,
            "deliveries": deliveries,
            "cpu_cores": cpu,
            "seconds": round(monotonic() - triggered, 1),
            "timeline": timeline[:: max(1, len(timeline) // 60)],
        }

    def received(self) -> Counter:
        return Counter(
            {
                "push": len({m.payload["id"] for m in self.push.messages if m.payload}),
                "webhook": len(self.webhooks.accepted),
                "email": len(self.smtp.received),
            }
        )

    def run(self) -> dict[str, Any]:
        args = self.args
        result: dict[str, Any] = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "parameters": vars(args),
            "machine": machine(),
            "arms": [],
        }
        try:
            self.stack.start_services()
            self.smtp = SmtpRecorder()
            self.webhooks = WebhookEndpoint()
            extra = {"MORNING_HOUR": str(args.morning_hour), **dict(item.split("=", 1) for item in args.env)}
            settings = stack_settings(self.stack.redis.url, smtp_url=self.smtp.url, **extra)
            env = server_environment(**settings)
            with PushService(application_server_key=settings["VAPID_PUBLIC_KEY"]) as self.push:
                self.zone = args.timezone or "UTC"
                default_entry = self.prepare(env)
                entry = args.entry or default_entry
                if args.timezone is None and entry.endswith("morning_tick") and self.zone == "UTC":
                    log("morning_tick found: rewriting the people's time zone so their morning is now")
                    self.zone = morning_zone(args.morning_hour, datetime.now(UTC))
                    self.set_zone()
                result["entry"], result["timezone"] = entry, self.zone
                for workers in (int(n) for n in args.workers.split(",")):
                    arm = self.arm(workers, env, entry)
                    result["arms"].append(arm)
                    log(f"arm {workers} worker(s): {arm['processed']} people in {arm['processed_in_s']} s")
            self.webhooks.close()
            self.smtp.close()
        finally:
            self.stack.stop()
        result["logs"] = str(self.workdir)
        return result

    def set_zone(self) -> None:
        import psycopg

        url = self.stack.database_url(TEMPLATE).replace("postgres://", "postgresql://")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE users_user SET timezone = %s", (self.zone,))


def table(result: dict[str, Any]) -> str:
    lines = [
        f"Morning fan-out: {result['parameters']['people']} people, entry {result['entry']}, "
        f"time zone {result['timezone']}",
        f"{'workers':>7} {'people':>7} {'secs':>7} {'jobs/s':>7} | "
        + " | ".join(f"{c + ' sent/s (recv)':>22}" for c in CHANNELS)
        + " | cores: workers beat postgres redis bench machine",
    ]
    for arm in result["arms"]:
        cells = []
        for channel in CHANNELS:
            d = arm["deliveries"][channel]
            cells.append(f"{d['sent']:>7} {d['per_s'] or '-':>6}/s ({d['received_unique']:>5})")
        cpu = arm["cpu_cores"]
        lines.append(
            f"{arm['workers']:>7} {arm['processed']:>7} {arm['processed_in_s']:>7} {arm['jobs_per_s'] or '-':>7} | "
            + " | ".join(f"{cell:>22}" for cell in cells)
            + f" | {cpu['workers']:>13} {cpu['beat']:>4} {cpu['postgres']:>8} {cpu['redis']:>5} "
            f"{cpu['bench_receivers']:>5} {cpu['machine_busy_cores']:>7}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts, one arm each")
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker")
    parser.add_argument("--entry", help="the task to send (default: morning_tick if it exists, else daily insights)")
    parser.add_argument("--timezone", help="the people's time zone (default: one where it is --morning-hour now)")
    parser.add_argument(
        "--morning-hour",
        type=int,
        default=7,
        help="MORNING_HOUR for the stack; the default time zone makes it that hour now",
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds an arm may take")
    parser.add_argument("--idle-seconds", type=float, default=20.0, help="no progress this long ends an arm")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="a setting for every process of the stack"
    )
    parser.add_argument("--out", help="JSON file (default: bench/results/jobs-<date>.json)")
    arguments = parser.parse_args(argv)
    result = JobsBench(arguments).run()
    out = Path(arguments.out or ROOT / "bench" / "results" / f"jobs-{datetime.now(UTC):%Y-%m-%d}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(table(result))
    print(f"\nJSON: {out}\nlogs: {result['logs']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
