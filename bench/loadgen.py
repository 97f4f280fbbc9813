"""A load process without Django: REST writes and reads over a small keep-alive
HTTP/1.1 client, and the raw Redis PUBLISH that feeds bench/raw_server.py.

Commands (see bench/aio.py):
  rest_open_loop {servers, users, rate, duration, first_seq}   one income POST per due time
  rest_closed_loop {servers, users, endpoint, concurrency, duration}   as fast as answers come
  raw_open_loop {redis_url, prefix, users, rate, duration, first_seq}  PUBLISH per due time

Open loop: write i is due at start + i/rate whether or not earlier ones have
answered, and every latency counts from that due time (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from typing import Any

from bench import aio
from bench.common import MARKER, monotonic, open_loop_answer
from bench.payloads import raw_event


class HttpError(Exception):
    pass


class HttpConnection:
    """One persistent HTTP/1.1 connection (Content-Length or chunked answers)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    async def request(self, method: str, path: str, token: str, body: bytes | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {token}\r\n"
            "Accept: application/json\r\n"
        )
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (body or b""))
        status_line = await self.reader.readline()
        if not status_line:
            raise HttpError("connection closed before an answer")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, closes = None, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                closes = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
            content = b"".join(parts)
        elif length is not None:
            content = await self.reader.readexactly(length)
        else:
            content = await self.reader.read()
            closes = True
        if closes:
            self.close()
        return status, content


class HttpPool:
    """Keep-alive connections to one server, opened on demand up to `size`."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self.idle: list[HttpConnection] = []
        self.slots = asyncio.Semaphore(size)

    async def request(self, method: str, path: str, token: str, body: bytes | None = None) -> tuple[int, bytes]:
        async with self.slots:
            connection = self.idle.pop() if self.idle else HttpConnection(self.host, self.port)
            reused = connection.writer is not None
            try:
                answer = await connection.request(method, path, token, body)
            except (HttpError, ConnectionError, asyncio.IncompleteReadError):
                connection.close()
                if not reused:
                    raise
                connection = HttpConnection(self.host, self.port)  # the server closed an idle one
                answer = await connection.request(method, path, token, body)
            except BaseException:
                connection.close()
                raise
            self.idle.append(connection)
            return answer

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


def _pools(servers: list[int], size: int) -> list[HttpPool]:
    return [HttpPool("127.0.0.1", port, size) for port in servers]


def income_body(account: int, seq: int) -> bytes:
    return json.dumps(
        {"account": account, "kind": "income", "amount": "10.00", "description": f"{MARKER}{seq};"}
    ).encode()


async def rest_open_loop(
    servers: list[int], users: list[dict], rate: float, duration: float, first_seq: int, connections: int = 64
) -> dict[str, Any]:
    """Income POSTs at a fixed rate, each to a random server (as a load balancer would),
    each for the next user in turn; every one should cause one notification."""
    pools = _pools(servers, connections)
    choose = random.Random(first_seq)
    records: list[list] = []
    errors: Counter[str] = Counter()

    async def fire(i: int, due: float) -> None:
        seq = first_seq + i
        user = users[i % len(users)]
        pool = pools[choose.randrange(len(pools))]
        try:
            status, content = await pool.request(
                "POST", "/api/v1/transactions", user["token"], income_body(user["account"], seq)
            )
        except Exception as error:
            errors[error.__class__.__name__] += 1
            return
        done = monotonic()
        if status != 201:
            errors[f"HTTP {status}"] += 1
            return
        records.append([seq, due, done])

    start, fired = await aio.open_loop(rate, duration, fire)
    for pool in pools:
        pool.close()
    return open_loop_answer(records, errors, start=start, fired=fired, duration=duration)


async def rest_closed_loop(
    servers: list[int], users: list[dict], endpoint: str, concurrency: int, duration: float, first_seq: int = 0
) -> dict[str, Any]:
    """`concurrency` clients, each sending its next request as soon as the last is answered."""
    pools = _pools(servers, concurrency)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    counter = iter(range(first_seq, first_seq + 10_000_000))
    stop_at = monotonic() + duration

    async def client(index: int) -> None:
        pool = pools[index % len(pools)]
        while monotonic() < stop_at:
            seq = next(counter)
            user = users[seq % len(users)]
            began = monotonic()
            try:
                if endpoint == "list":
                    status, _ = await pool.request("GET", "/api/v1/transactions?page_size=50", user["token"])
                    ok = status == 200
                else:
                    body = income_body(user["account"], seq)
                    status, _ = await pool.request("POST", "/api/v1/transactions", user["token"], body)
                    ok = status == 201
            except Exception as error:
                errors[error.__class__.__name__] += 1
                continue
            if ok:
                latencies.append((monotonic() - began) * 1000)
            else:
                errors[f"HTTP {status}"] += 1

    began = monotonic()
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    elapsed = monotonic() - began
    for pool in pools:
        pool.close()
    return {"latencies_ms": latencies, "errors": dict(errors), "elapsed": elapsed}


async def raw_open_loop(
    redis_url: str, prefix: str, users: list[dict], rate: float, duration: float, first_seq: int
) -> dict[str, Any]:
    """PUBLISH one event per due time to the user's channel; everything due at once goes
    in one pipeline, the cheapest way Redis can be fed."""
    import redis.asyncio as redis

    from bench.raw_server import user_channel

    client = redis.Redis.from_url(redis_url)
    count = max(1, int(rate * duration))
    start = monotonic() + 0.1
    records: list[list] = []
    unheard = 0  # PUBLISHes no server was subscribed to
    i = 0
    while i < count:
        now = monotonic()
        due_count = min(count, int((now - start) * rate) + 1)
        if due_count <= i:
            await asyncio.sleep(max(0.0, start + i / rate - now))
            continue
        pipe = client.pipeline(transaction=False)
        batch = range(i, due_count)
        for j in batch:
            user = users[j % len(users)]
            pipe.publish(user_channel(prefix, user["id"]), raw_event(first_seq + j))
        receivers = await pipe.execute()
        unheard += sum(1 for n in receivers if not n)
        done = monotonic()
        records.extend([first_seq + j, start + j / rate, done] for j in batch)
        i = due_count
    fired = monotonic()
    await client.aclose()
    errors = {"published to nobody": unheard} if unheard else {}
    return open_loop_answer(records, errors, start=start, fired=fired, duration=duration)


async def main() -> None:
    await aio.serve(
        {"rest_open_loop": rest_open_loop, "rest_closed_loop": rest_closed_loop, "raw_open_loop": raw_open_loop}
    )


if __name__ == "__main__":
    aio.run(main)
