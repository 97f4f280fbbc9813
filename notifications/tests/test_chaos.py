"""Chaos on the real multi-process stack: two Daphne processes on a private
PostgreSQL and a private Redis, clients connected with resume, a steady stream
of writes that each cause one notification, while Redis restarts, one Daphne
process is SIGKILLed and restarted, 10 % of clients drop and reconnect at random,
and PostgreSQL restarts. Afterwards every notification created reached its owner
exactly once after de-duplication by id, and every accepted write is stored once.
The figures are printed at the end of the run, in the test output."""

import asyncio
import json
import os
import random
import signal
import time
import uuid

import psycopg
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from budgetpay.testing.servers import DaphneServer, http_json, prepare_e2e_database, register

pytestmark = [pytest.mark.e2e, pytest.mark.services]

CLIENTS = int(os.environ.get("BUDGETPAY_CHAOS_CLIENTS", "20"))
SECONDS = float(os.environ.get("BUDGETPAY_CHAOS_SECONDS", "30"))
WRITES_PER_SECOND = float(os.environ.get("BUDGETPAY_CHAOS_WRITES_PER_SECOND", "8"))
PASSWORD = "chaos-long-password-55"


class Device:
    """One person's client: resumes from the last id it saw, de-duplicates by id."""

    def __init__(self, person: dict, servers: list[DaphneServer]) -> None:
        self.person = person
        self.servers = servers
        self.seen: set[int] = set()
        self.last_id = 0
        self.live = self.replayed = self.duplicates = self.connects = 0
        self.drop = asyncio.Event()
        self.stopped = False

    def handle(self, message: dict) -> None:
        if message.get("type") != "notification":
            return
        notification_id = message["data"]["id"]
        if notification_id in self.seen:
            self.duplicates += 1
            return
        self.seen.add(notification_id)
        self.last_id = max(self.last_id, notification_id)
        if message.get("replay"):
            self.replayed += 1
        else:
            self.live += 1

    async def run(self) -> None:
        backoff = 0.1
        while not self.stopped:
            server = random.choice(self.servers)
            url = f"{server.ws_url}/api/v1/notification/ws?token={self.person['access']}&since={self.last_id}"
            try:
                async with connect(url, open_timeout=5, close_timeout=1) as socket:
                    self.connects += 1
                    backoff = 0.1
                    while not self.stopped:
                        receiving = asyncio.ensure_future(socket.recv())
                        dropping = asyncio.ensure_future(self.drop.wait())
                        done, _ = await asyncio.wait(
                            {receiving, dropping}, timeout=1, return_when=asyncio.FIRST_COMPLETED
                        )
                        dropping.cancel()
                        if receiving in done:
                            self.handle(json.loads(receiving.result()))
                        else:
                            receiving.cancel()
                        if self.drop.is_set():
                            self.drop.clear()
                            break
            except (TimeoutError, OSError, WebSocketException):
                pass
            await asyncio.sleep(backoff * (0.5 + random.random()))
            backoff = min(backoff * 2, 2.0)


class Writer:
    """Open-loop writes (one income each, so one notification each), retried with the
    same Idempotency-Key until accepted, as a careful client would."""

    def __init__(self, people: list[dict], servers: list[DaphneServer]) -> None:
        self.people = people
        self.servers = servers
        self.accepted: dict[str, int] = {}
        self.statuses: dict[str, int] = {}
        self.outage_messages: set[str] = set()

    async def write(self, index: int, deadline: float) -> None:
        person = self.people[index % len(self.people)]
        key = str(uuid.uuid4())
        body = {
            "account": person["account"],
            "kind": "income",
            "amount": f"{index % 90 + 10}.25",
            "description": f"chaos {index}",
        }
        attempt = 0
        while time.monotonic() < deadline:
            server = self.servers[(index + attempt) % len(self.servers)]
            attempt += 1
            try:
                status, answer = await asyncio.to_thread(self._post, server, person["access"], body, key)
            except OSError:
                status, answer = "connection refused", {}
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
            if status == 201:
                self.accepted[key] = answer["id"]
                return
            if status == 503:
                self.outage_messages.add(answer.get("message", ""))
            await asyncio.sleep(0.3)

    @staticmethod
    def _post(server: DaphneServer, token: str, body: dict, key: str):
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            f"{server.url}/api/v1/transactions",
            method="POST",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}", "Idempotency-Key": key},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw or b"{}")
            except ValueError:
                return error.code, {"message": raw[:200].decode(errors="replace")}


def test_nothing_is_lost_under_faults(tmp_path, private_postgres, private_redis, capsys):
    database_url = prepare_e2e_database(tmp_path, "chaos", base_url=private_postgres.url)
    overrides = {
        "REDIS_URL": private_redis.url,
        "JWT_ACCESS_MINUTES": "60",
        "THROTTLE_REGISTER": "100000/min",
        "THROTTLE_LOGIN": "100000/min",
    }
    servers = [
        DaphneServer(tmp_path, database_url=database_url, name=f"chaos-{i}", **overrides).start() for i in range(2)
    ]
    try:
        people = []
        for i in range(CLIENTS):
            body = register(servers[i % 2].url, f"c{i}@example.com", PASSWORD)
            status, accounts = http_json(servers[0].url, "GET", "/api/v1/accounts", token=body["access"])
            people.append({"id": body["user"]["id"], "access": body["access"], "account": accounts["results"][0]["id"]})
        figures = asyncio.run(_chaos(people, servers, private_postgres, private_redis))
    finally:
        for server in servers:
            server.stop()

    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        created = conn.execute(
            "SELECT user_id, id FROM notifications_notification WHERE type = 'income_received'"
        ).fetchall()
        stored = {row[0] for row in conn.execute("SELECT id FROM transactions_transaction WHERE kind = 'income'")}
        orphans = conn.execute(
            "SELECT count(*) FROM transactions_transaction t WHERE t.kind = 'income' AND NOT EXISTS "
            "(SELECT 1 FROM notifications_notification n WHERE n.related_id = t.id AND n.type = 'income_received')"
        ).fetchone()[0]
    devices, writer = figures["devices"], figures["writer"]
    created_by_user: dict[int, set[int]] = {}
    for user_id, notification_id in created:
        created_by_user.setdefault(user_id, set()).add(notification_id)
    delivered = sum(len(device.seen) for device in devices)
    lost = sum(len(created_by_user.get(device.person["id"], set()) - device.seen) for device in devices)
    report = {
        "writes scheduled": figures["scheduled"],
        "writes accepted (201)": len(writer.accepted),
        "transactions stored": len(stored),
        "notifications created": len(created),
        "delivered (unique)": delivered,
        "  of which live": sum(device.live for device in devices),
        "  of which replayed": sum(device.replayed for device in devices),
        "duplicates dropped by clients": sum(device.duplicates for device in devices),
        "lost": lost,
        "socket connects": sum(device.connects for device in devices),
        "write attempts by answer": writer.statuses,
    }
    with capsys.disabled():  # the figures belong in the CI log, pass or fail
        print("\nChaos run:", json.dumps(report, indent=2))

    assert set(writer.accepted.values()) == stored, "every accepted write is stored, once"
    assert len(writer.accepted) == figures["scheduled"], "every write was eventually accepted"
    assert orphans == 0, "no write is half-done: each income has its notification"
    assert len(created) == len(stored)
    assert lost == 0
    assert delivered == len(created)
    assert sum(device.replayed for device in devices) > 0, "the faults forced resumes"
    assert writer.statuses.get("503", 0) > 0, "the PostgreSQL outage was seen as 503"
    assert writer.outage_messages == {
        "The database is unavailable right now; nothing was saved. Try again in a few seconds."
    }


async def _chaos(people, servers, postgres, redis) -> dict:
    devices = [Device(person, servers) for person in people]
    writer = Writer(people, servers)
    device_tasks = [asyncio.ensure_future(device.run()) for device in devices]
    await asyncio.sleep(2)
    start = time.monotonic()
    end = start + SECONDS
    deadline = end + 40
    writes = []

    async def schedule_writes() -> int:
        index = 0
        while True:
            due = start + index / WRITES_PER_SECOND
            if due >= end:
                return index
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            writes.append(asyncio.ensure_future(writer.write(index, deadline)))
            index += 1

    async def at(fraction: float, action) -> None:
        await asyncio.sleep(max(0.0, start + fraction * SECONDS - time.monotonic()))
        await action()

    async def restart_redis() -> None:
        redis.stop()
        await asyncio.sleep(1.5)
        await asyncio.to_thread(redis.start)

    async def kill_a_daphne() -> None:
        victim = servers[0]
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait()
        await asyncio.sleep(1)
        await asyncio.to_thread(victim.start)

    async def drop_some_clients() -> None:
        for _ in range(4):
            for device in random.sample(devices, max(1, len(devices) // 10)):
                device.drop.set()
            await asyncio.sleep(SECONDS * 0.08)

    async def restart_postgres() -> None:
        await asyncio.to_thread(postgres.stop)
        await asyncio.sleep(3)
        await asyncio.to_thread(postgres.start)

    scheduled, *_ = await asyncio.gather(
        schedule_writes(),
        at(0.15, restart_redis),
        at(0.35, kill_a_daphne),
        at(0.5, drop_some_clients),
        at(0.75, restart_postgres),
    )
    await asyncio.gather(*writes)
    # Every device resumes once more, as a client does on reconnect, then the run ends
    # when each has what was created for it (or after 30 s).
    for device in devices:
        device.drop.set()
    expected = len(writer.accepted)
    settle = time.monotonic() + 30
    while time.monotonic() < settle and sum(len(device.seen) for device in devices) < expected:
        await asyncio.sleep(0.5)
    await asyncio.sleep(1)
    for device in devices:
        device.stopped = True
    await asyncio.gather(*device_tasks)
    return {"devices": devices, "writer": writer, "scheduled": scheduled}
