"""The physical limit: a bare `websockets` server fed by redis-py PUBLISH.

No Django, no authentication, no database, no channel layer: a socket opened at
`/ws?user=<id>` subscribes this process to the Redis channel `<prefix>.user.<id>`
and every message published there is sent on as the same two frames Budget Pay
sends (the notification, then the unread count). It answers `{"type":"ping"}`
with `{"type":"pong"}` and `GET /ready` with 200.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import redis.asyncio as redis
from websockets.asyncio.server import ServerConnection, serve

UNREAD_ZERO = '{"type":"unread_count","data":{"unread_count":0}}'


def user_channel(prefix: str, user_id: int | str) -> str:
    return f"{prefix}.user.{user_id}"


async def main(port: int, redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url, socket_timeout=30, socket_connect_timeout=5)
    pubsub = client.pubsub()
    sockets: dict[bytes, set[ServerConnection]] = {}

    async def handler(ws: ServerConnection) -> None:
        user = parse_qs(urlsplit(ws.request.path).query).get("user", ["0"])[0]
        channel = user_channel(prefix, int(user)).encode()
        members = sockets.get(channel)
        if members is None:
            members = sockets[channel] = set()
            await pubsub.subscribe(channel)
        members.add(ws)
        try:
            await ws.send(UNREAD_ZERO)
            async for message in ws:
                if json.loads(message).get("type") == "ping":
                    await ws.send('{"type":"pong"}')
        finally:
            members.discard(ws)
            if not members and sockets.get(channel) is members:
                del sockets[channel]
                await pubsub.unsubscribe(channel)

    async def pump() -> None:
        while True:
            if not pubsub.subscribed:
                await asyncio.sleep(0.05)
                continue
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                continue
            event = json.loads(message["data"])
            frames = (
                json.dumps({"type": "notification", "data": event["notification"]}, separators=(",", ":")),
                json.dumps(
                    {"type": "unread_count", "data": {"unread_count": event["unread_count"]}}, separators=(",", ":")
                ),
            )
            for ws in list(sockets.get(message["channel"], ())):
                try:
                    for frame in frames:
                        await ws.send(frame)
                except Exception:
                    pass  # the socket closed meanwhile

    def ready(connection, request):
        if request.path == "/ready":
            return connection.respond(HTTPStatus.OK, "ok\n")
        return None

    pumping = asyncio.ensure_future(pump())
    async with serve(
        handler,
        "127.0.0.1",
        port,
        process_request=ready,
        compression=None,
        backlog=1024,
        ping_interval=20,
        ping_timeout=30,
        max_size=2**16,
    ):
        await asyncio.Future()
    pumping.cancel()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args()
    redis_url = os.environ["REDIS_URL"]
    prefix = os.environ.get("RAW_PREFIX", "bench-raw")
    # Plain asyncio, like Daphne's reactor: uvloop would move the limit, not the comparison.
    asyncio.run(main(arguments.port, redis_url, prefix))
