"""A subscriber process: holds many WebSocket clients and notes when each
benchmark notification arrives.

Driven by the orchestrator over stdin/stdout (see bench/aio.py):
  connect {urls, rate, concurrency, timeout, ping_interval}  open sockets; with `rate`, open-loop
      (socket i is due at start + i/rate and its latency counts from then) until its first frame
  collect {clear}    the (sequence number, arrival time) of every marked notification so far
  ping {timeout}     an application ping on every open socket; how many pongs came back
  status             open sockets and unexpected closes
  close              close every socket
"""

from __future__ import annotations

import asyncio
import json
from array import array
from collections import Counter
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.protocol import State

from bench import aio
from bench.common import MARKER, monotonic

PONG = '{"type":"pong"}'
MARKER_LENGTH = len(MARKER)


def describe(error: BaseException) -> str:
    if isinstance(error, InvalidStatus):
        return f"HTTP {error.response.status_code}"
    if isinstance(error, ConnectionClosed):
        code = error.rcvd.code if error.rcvd else "none"
        return f"closed {code}"
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return "timeout"
    return error.__class__.__name__


class Subscriber:
    def __init__(self) -> None:
        self.connections: list[ClientConnection] = []
        self.readers: set[asyncio.Task] = set()
        self.sequences = array("q")
        self.arrivals = array("d")
        self.frames = 0
        self.pongs = 0
        self.unexpected_closes: Counter[str] = Counter()
        self.closing = False

    async def _read(self, ws: ClientConnection) -> None:
        sequences, arrivals = self.sequences, self.arrivals
        try:
            async for message in ws:
                now = monotonic()
                self.frames += 1
                start = message.find(MARKER)
                if start >= 0:
                    end = message.find(";", start)
                    sequences.append(int(message[start + MARKER_LENGTH : end]))
                    arrivals.append(now)
                elif message == PONG:
                    self.pongs += 1
        except ConnectionClosed:
            pass
        finally:
            if not self.closing:
                code = ws.close_code if ws.close_code is not None else "none"
                self.unexpected_closes[f"closed {code}"] += 1

    async def connect(
        self,
        urls: list[str],
        rate: float | None = None,
        concurrency: int = 100,
        timeout: float = 10.0,
        ping_interval: float | None = None,
    ) -> dict[str, Any]:
        self.closing = False
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        failed_urls: list[str] = []
        limit = asyncio.Semaphore(concurrency)
        start = monotonic() + 0.05

        async def open_one(index: int, url: str) -> None:
            if rate:
                scheduled = start + index / rate
                await asyncio.sleep(max(0.0, scheduled - monotonic()))
                await attempt(url, scheduled)
            else:
                async with limit:
                    await attempt(url, monotonic())

        async def attempt(url: str, scheduled: float) -> None:
            try:
                ws = await connect(
                    url,
                    compression=None,
                    ping_interval=ping_interval,
                    open_timeout=timeout,
                    close_timeout=2,
                    proxy=None,
                    max_size=2**20,
                )
            except Exception as error:
                errors[describe(error)] += 1
                failed_urls.append(url)
                return
            try:
                first = json.loads(await asyncio.wait_for(ws.recv(), timeout))
                if first.get("type") != "unread_count":
                    raise ValueError(f"first frame {first.get('type')!r}")
            except Exception as error:
                errors[describe(error)] += 1
                failed_urls.append(url)
                await ws.close()
                return
            latencies.append((monotonic() - scheduled) * 1000)
            self.connections.append(ws)
            reader = asyncio.ensure_future(self._read(ws))
            self.readers.add(reader)
            reader.add_done_callback(self.readers.discard)

        began = monotonic()
        await asyncio.gather(*(open_one(i, url) for i, url in enumerate(urls)))
        return {
            "opened": len(latencies),
            "failed": sum(errors.values()),
            "errors": dict(errors),
            "failed_urls": failed_urls,
            "latencies_ms": latencies,
            "elapsed": monotonic() - began,
        }

    async def collect(self, clear: bool = True) -> dict[str, Any]:
        answer = {
            "sequences": self.sequences.tolist(),
            "arrivals": self.arrivals.tolist(),
            "frames": self.frames,
        }
        if clear:  # in place: the readers hold these arrays
            del self.sequences[:]
            del self.arrivals[:]
            self.frames = 0
        return answer

    async def ping(self, timeout: float = 10.0) -> dict[str, Any]:
        before = self.pongs
        open_now = [ws for ws in self.connections if ws.state is State.OPEN]
        for ws in open_now:
            await ws.send('{"type":"ping"}')
        deadline = monotonic() + timeout
        while self.pongs - before < len(open_now) and monotonic() < deadline:
            await asyncio.sleep(0.05)
        return {"sent": len(open_now), "pongs": self.pongs - before}

    async def status(self) -> dict[str, Any]:
        return {
            "open": sum(1 for ws in self.connections if ws.state is State.OPEN),
            "unexpected_closes": dict(self.unexpected_closes),
        }

    async def close(self) -> dict[str, Any]:
        self.closing = True
        connections, self.connections = self.connections, []
        limit = asyncio.Semaphore(500)

        async def close_one(ws: ClientConnection) -> None:
            async with limit:
                try:
                    await ws.close()
                except Exception:
                    pass

        await asyncio.gather(*(close_one(ws) for ws in connections))
        closes = dict(self.unexpected_closes)
        self.unexpected_closes.clear()
        return {"closed": len(connections), "unexpected_closes": closes}


async def main() -> None:
    subscriber = Subscriber()
    await aio.serve(
        {
            "connect": subscriber.connect,
            "collect": subscriber.collect,
            "ping": subscriber.ping,
            "status": subscriber.status,
            "close": subscriber.close,
        }
    )
    await subscriber.close()


if __name__ == "__main__":
    aio.run(main)
