"""The soak's socket clients, in a process of their own: one notification socket per person,
kept open through the run as the app keeps it. A client that loses its socket (a Daphne
killed, Redis restarted) reconnects to either server with `since=<the last id it saw>`, as
docs/websocket.md tells clients to, and counts every notification id it receives, so the
orchestrator sees duplicates before de-duplication as well as what never came.

Driven over stdin/stdout (bench/aio.py):
  start {people: [{token, urls}]}   open every socket (and keep reopening them)
  status                            open sockets, reconnects, frames so far
  catch_up {expected, timeout}      wait until each person's last id reaches expected[i];
                                    whoever is still behind then resumes once with since=
  collect                           {received: {id: times}} and the reconnect counts
  close                             close every socket
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from typing import Any

from websockets.asyncio.client import connect

from bench import aio
from bench.common import monotonic


class Client:
    def __init__(self, clients: Clients, token: str, urls: list[str]) -> None:
        self.clients = clients
        self.token = token
        self.urls = urls
        self.last_id = 0
        self.connected = asyncio.Event()
        self.ws = None
        self.task: asyncio.Task | None = None
        self.stopping = False

    async def run(self) -> None:
        attempt = 0
        while not self.stopping:
            url = self.urls[attempt % len(self.urls)]
            since = f"&since={self.last_id}" if self.last_id else "&since=0"
            try:
                async with connect(f"{url}/api/v1/notification/ws?token={self.token}{since}", open_timeout=10) as ws:
                    self.ws = ws
                    self.connected.set()
                    attempt = 0
                    async for frame in ws:
                        self.on_frame(frame)
            except Exception as error:  # any failure to connect or read: counted, and the client reconnects
                self.clients.errors[error.__class__.__name__] += 1
            finally:
                self.ws = None
                self.connected.clear()
            if self.stopping:
                return
            self.clients.reconnects += 1
            attempt += 1
            await asyncio.sleep(min(2.0, 0.2 * attempt) + random.random() * 0.3)

    def on_frame(self, frame: str | bytes) -> None:
        message = json.loads(frame)
        if message.get("type") != "notification":
            return
        notification_id = message["data"]["id"]
        self.clients.received[notification_id] += 1
        self.clients.frames += 1
        self.last_id = max(self.last_id, notification_id)

    async def resume(self) -> None:
        """Close the socket; run() reconnects at once with since=last_id."""
        if self.ws is not None:
            await self.ws.close()


class Clients:
    def __init__(self) -> None:
        self.people: list[Client] = []
        self.received: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.reconnects = 0
        self.final_resumes = 0
        self.frames = 0

    async def start(self, people: list[dict[str, Any]]) -> dict[str, Any]:
        for person in people:
            client = Client(self, person["token"], person["urls"])
            client.task = asyncio.ensure_future(client.run())
            self.people.append(client)
        try:
            await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in self.people)), timeout=60)
        except TimeoutError:
            pass
        return await self.status()

    async def status(self) -> dict[str, Any]:
        return {
            "open": sum(1 for c in self.people if c.ws is not None),
            "reconnects": self.reconnects,
            "frames": self.frames,
            "errors": dict(self.errors),
        }

    async def catch_up(self, expected: list[int], timeout: float) -> dict[str, Any]:
        """Wait for live frames up to `timeout`; then whoever is behind resumes once (the app
        reopened) and is waited for again."""
        began = monotonic()

        def behind() -> list[Client]:
            return [c for c, want in zip(self.people, expected, strict=True) if c.last_id < want]

        while behind() and monotonic() - began < timeout:
            await asyncio.sleep(0.5)
        live_behind = len(behind())
        for client in behind():
            self.final_resumes += 1
            await client.resume()
        resumed_at = monotonic()
        while behind() and monotonic() - resumed_at < timeout:
            await asyncio.sleep(0.5)
        detail = [
            {"person": self.people.index(c), "last_id": c.last_id, "want": want, "open": c.ws is not None}
            for c, want in zip(self.people, expected, strict=True)
            if c.last_id < want
        ]
        return {"behind_before_final_resume": live_behind, "still_behind": len(detail), "behind": detail[:10]}

    async def collect(self) -> dict[str, Any]:
        return {
            "received": {str(key): count for key, count in self.received.items()},
            "reconnects": self.reconnects,
            "final_resumes": self.final_resumes,
            "errors": dict(self.errors),
        }

    async def close(self) -> dict[str, Any]:
        for client in self.people:
            client.stopping = True
            await client.resume()
        await asyncio.gather(*(c.task for c in self.people if c.task), return_exceptions=True)
        return {"closed": len(self.people)}


async def main() -> None:
    clients = Clients()
    await aio.serve(
        {
            "start": clients.start,
            "status": clients.status,
            "catch_up": clients.catch_up,
            "collect": clients.collect,
            "close": clients.close,
        }
    )


if __name__ == "__main__":
    aio.run(main)
