"""Chaos on the delivery outbox, on the real stack as production scales it: Daphne, two Celery
workers and beat on a private PostgreSQL and a private Redis (broker and channel layer), a
local push service that decrypts every push, and one local webhook receiver per person that
verifies every signature. A steady stream of income writes, each a notification with one push
and one webhook delivery, while a worker is SIGKILLed in the middle of its batch, Redis is
restarted without persistence (the broker's queue is gone), and the receivers and the push
service answer 500 for a while. Afterwards every delivery row ends sent and every one reached
its target: nothing lost. Duplicates (the same id received twice, which receivers drop) are
counted and printed with the other figures, pass or fail."""

import json
import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import psycopg
import pytest

from budgetpay.testing.push_service import PushService
from budgetpay.testing.servers import (
    DaphneServer,
    JobProcess,
    http_json,
    prepare_e2e_database,
    register,
    server_environment,
)
from budgetpay.testing.webhook_receiver import WebhookReceiver
from notifications.push import vapid_key_pair

pytestmark = [pytest.mark.e2e, pytest.mark.services]

PEOPLE = int(os.environ.get("BUDGETPAY_DELIVERY_CHAOS_PEOPLE", "8"))
SECONDS = float(os.environ.get("BUDGETPAY_DELIVERY_CHAOS_SECONDS", "24"))
WRITES_PER_SECOND = float(os.environ.get("BUDGETPAY_DELIVERY_CHAOS_WRITES_PER_SECOND", "6"))
SETTLE_SECONDS = 120
PASSWORD = "kettle-orbit-lantern-61"


def chaos_settings(redis_url: str) -> dict[str, str]:
    public_key, private_key = vapid_key_pair()
    return {
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url.rsplit("/", 1)[0] + "/1",
        "JOBS_IN_PROCESS": "false",
        "VAPID_PUBLIC_KEY": public_key,
        "VAPID_PRIVATE_KEY": private_key,
        "VAPID_SUBJECT": "mailto:ops@budgetpay.test",
        "WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8",  # the stand-ins listen on 127.0.0.1
        # Short enough that a run recovers in seconds what production recovers in minutes.
        "DELIVERY_SWEEP_SECONDS": "1",
        "DELIVERY_CLAIM_SECONDS": "4",
        "DELIVERY_RETRY_DELAYS": ",".join(["1", "1", "2", "2", "3", "3"] + ["5"] * 14),
        # Every write is a push: the per-person cap would only defer them (tested elsewhere).
        "PUSH_MAX_PER_MINUTE": "100000",
        # The receivers' outage is shared by every webhook: turning them off is tested elsewhere.
        "WEBHOOK_DISABLE_AFTER_FAILURES": "100000",
        "JWT_ACCESS_MINUTES": "60",
        "THROTTLE_REGISTER": "100000/min",
    }


def enrol(server: DaphneServer, index: int, push: PushService, receiver: WebhookReceiver) -> dict:
    """A person who wants each income on a device and on a webhook."""
    tokens = register(server.url, f"p{index}@example.com", PASSWORD)
    token = tokens["access"]
    body = {"channels": {"income_received": {"push": True, "webhook": True}}}
    status, answer = http_json(server.url, "PATCH", "/api/v1/notification/preferences", body, token)
    assert status == 200, answer
    status, answer = http_json(
        server.url, "POST", "/api/v1/notification/push-subscriptions", push.subscription(), token
    )
    assert status == 201, answer
    status, webhook = http_json(
        server.url, "POST", "/api/v1/webhooks", {"url": receiver.url, "types": ["income_received"]}, token
    )
    assert status == 201, webhook
    receiver.secret = webhook["secret"]
    status, accounts = http_json(server.url, "GET", "/api/v1/accounts", token=token)
    assert status == 200, accounts
    return {"token": token, "account": accounts["results"][0]["id"]}


class Writer:
    """Income writes, each retried with the same Idempotency-Key until accepted."""

    def __init__(self, server: DaphneServer, people: list[dict]) -> None:
        self.server = server
        self.people = people
        self.accepted: dict[str, int] = {}
        self.statuses: Counter[str] = Counter()
        self.slowest = 0.0
        self._lock = threading.Lock()

    def write(self, index: int, deadline: float) -> None:
        person = self.people[index % len(self.people)]
        key = str(uuid.uuid4())
        body = {"account": person["account"], "kind": "income", "amount": f"{index % 90 + 10}.50"}
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                status, answer = http_json(
                    self.server.url,
                    "POST",
                    "/api/v1/transactions",
                    body,
                    person["token"],
                    headers={"Idempotency-Key": key},
                )
            except OSError:
                status, answer = "connection refused", {}
            with self._lock:
                self.statuses[str(status)] += 1
                self.slowest = max(self.slowest, time.monotonic() - started)
                if status == 201:
                    self.accepted[key] = answer["id"]
                    return
            time.sleep(0.3)


def test_every_delivery_ends_sent_through_worker_kills_redis_restarts_and_receiver_outages(
    tmp_path, private_postgres, private_redis, capsys
):
    database_url = prepare_e2e_database(tmp_path, "delivery-chaos", base_url=private_postgres.url)
    settings = chaos_settings(private_redis.url)
    env = server_environment(DATABASE_URL=database_url, **settings)
    receivers = [WebhookReceiver() for _ in range(PEOPLE)]
    events: dict[str, object] = {}
    with ExitStack() as stack:
        push = stack.enter_context(PushService(application_server_key=settings["VAPID_PUBLIC_KEY"]))
        for receiver in receivers:
            stack.enter_context(receiver)
        workers = [JobProcess(tmp_path, kind="worker", env=env, name=f"worker-{i}") for i in (1, 2)]
        beat = JobProcess(tmp_path, kind="beat", env=env)
        for process in (*workers, beat):
            stack.callback(process.stop)
            process.start()
        server = DaphneServer(tmp_path, database_url=database_url, name="delivery-chaos", **settings).start()
        stack.callback(server.stop)

        people = [enrol(server, i, push, receivers[i]) for i in range(PEOPLE)]
        writer = Writer(server, people)
        start = time.monotonic()
        scheduled = int(SECONDS * WRITES_PER_SECOND)
        deadline = start + SECONDS + 60

        def faults() -> None:
            def at(fraction: float) -> None:
                time.sleep(max(0.0, start + fraction * SECONDS - time.monotonic()))

            at(0.2)  # a worker dies holding claimed rows and prefetched tasks
            for receiver in receivers:
                receiver.delay = 1.0  # slow receivers: the workers' threads fill up with sends
            sending = wait_for_sending(database_url, at_least=6, timeout=5)
            workers[0].kill()
            events["deliveries being sent when a worker was killed"] = sending
            for receiver in receivers:
                receiver.delay = 0.0
            time.sleep(2)
            workers[0].start()
            at(0.4)  # the broker forgets every queued task
            private_redis.stop()
            time.sleep(2)
            private_redis.start()
            at(0.6)  # every receiver and the push service fail for a while
            for receiver in receivers:
                receiver.respond(500)
            push.fail_all(500)
            time.sleep(SECONDS * 0.2)
            for receiver in receivers:
                receiver.respond(200)
            events["pushes answered 500"] = push.recover()

        fault_thread = threading.Thread(target=faults)
        fault_thread.start()
        with ThreadPoolExecutor(max_workers=16) as pool:
            for index in range(scheduled):
                time.sleep(max(0.0, start + index / WRITES_PER_SECOND - time.monotonic()))
                pool.submit(writer.write, index, deadline)
        fault_thread.join()

        settled_in = wait_until_settled(database_url, SETTLE_SECONDS)
        rows = delivery_rows(database_url)

    push_received = Counter(message.payload["id"] for message in push.messages)
    webhook_received = Counter(r.id for receiver in receivers for r in receiver.requests if 200 <= r.status < 300)
    keys = {channel: {row[0] for row in rows if row[1] == channel} for channel in ("push", "webhook")}
    lost = {
        "push": len(keys["push"] - set(push_received)),
        "webhook": len(keys["webhook"] - set(webhook_received)),
    }
    report = {
        "writes scheduled": scheduled,
        "writes accepted (201)": len(writer.accepted),
        "slowest write answer (s)": round(writer.slowest, 2),
        "notifications": len({row[3] for row in rows}),
        "deliveries": len(rows),
        "deliveries by state": dict(Counter(row[2] for row in rows)),
        "tries recorded": sum(row[4] for row in rows),
        # A send that started (an attempt is counted as a job starts) and was never recorded:
        # cut off by the kill; the sweeper claimed the row again when its lease lapsed.
        "sends cut off and taken again": sum(row[5] - row[4] for row in rows),
        "seconds until all settled after the last write": settled_in,
        "push received (unique ids)": len(push_received),
        "webhook received (unique ids)": len(webhook_received),
        "push duplicates before de-duplication": sum(n - 1 for n in push_received.values()),
        "webhook duplicates before de-duplication": sum(n - 1 for n in webhook_received.values()),
        "webhook requests answered 500": sum(r.status == 500 for receiver in receivers for r in receiver.requests),
        "lost": lost,
        "write attempts by answer": dict(writer.statuses),
        **events,
    }
    with capsys.disabled():  # the figures belong in the CI log, pass or fail
        print("\nDelivery chaos run:", json.dumps(report, indent=2))

    assert len(writer.accepted) == scheduled, "every write was accepted"
    assert report["notifications"] == scheduled, "each income made one notification with deliveries"
    assert len(keys["push"]) == len(keys["webhook"]) == scheduled, "one push and one webhook delivery each"
    assert report["deliveries by state"] == {"sent": 2 * scheduled}, rows[:5]
    assert lost == {"push": 0, "webhook": 0}
    assert set(push_received) == keys["push"] and set(webhook_received) == keys["webhook"]
    assert push.rejected == [], push.rejected[:3]
    assert all(r.verified for receiver in receivers for r in receiver.requests)
    assert report["webhook requests answered 500"] > 0 and events["pushes answered 500"] > 0
    assert report["tries recorded"] > len(rows), "the outage forced retries"
    assert events["deliveries being sent when a worker was killed"] > 0
    assert report["sends cut off and taken again"] > 0, "the killed worker was sending; the sweeper took them back"


def wait_for_sending(database_url: str, *, at_least: int, timeout: float) -> int:
    """How many deliveries are being sent, once at least `at_least` are (or after `timeout`)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        while True:
            sending = conn.execute("SELECT count(*) FROM notifications_delivery WHERE state = 'sending'").fetchone()[0]
            if sending >= at_least or time.monotonic() > deadline:
                return sending
            time.sleep(0.05)


def wait_until_settled(database_url: str, timeout: float) -> float:
    """Seconds until no delivery is pending, sending or failed (or the timeout)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
            open_rows = conn.execute(
                "SELECT count(*) FROM notifications_delivery WHERE state IN ('pending', 'sending', 'failed')"
            ).fetchone()[0]
        if open_rows == 0:
            break
        time.sleep(0.5)
    return round(time.monotonic() - started, 1)


def delivery_rows(database_url: str) -> list[tuple]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(
            "SELECT d.key, d.channel, d.state, d.notification_id, "
            "(SELECT count(*) FROM notifications_deliveryattempt a WHERE a.delivery_id = d.id), d.attempts "
            "FROM notifications_delivery d ORDER BY d.id"
        ).fetchall()
