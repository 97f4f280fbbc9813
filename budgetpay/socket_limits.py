"""How many sockets one person has open, counted across every server process.

Each open socket is a member (its channel name) of two sorted sets per person in
the channel layer's Redis, under the layer's prefix: `<prefix>:sockets:<id>:connected`
scored by the time it connected (who is oldest) and `<prefix>:sockets:<id>:seen`
scored by its last heartbeat (who is alive). A socket refreshes its heartbeat at
every periodic re-check; one not seen for `STALE_AFTER_RECHECKS` intervals belonged
to a process that died without closing it (SIGKILL, a lost machine) and is dropped
at the next count, so a dead process never holds anyone's places. Both keys expire
as a whole when nobody refreshes them. Times are Redis's own clock (TIME), so the
processes' clocks need not agree.

Connecting past the cap evicts the oldest sockets: their channel names are
returned and the caller asks each to close (a channel-layer send reaches the
socket on whichever process holds it).

Without Redis (the in-memory channel layer: one process) the count lives in this
process's memory with the same rules.
"""

import asyncio
import math
import time
import types
import weakref
import zlib
from dataclasses import dataclass, field

from channels_redis.utils import create_pool, decode_hosts
from django.conf import settings
from redis import asyncio as aioredis

DEFAULT_MAX_SOCKETS_PER_PERSON = 20
DEFAULT_RECHECK_SECONDS = 60
# An entry without a heartbeat for this many re-check intervals is stale.
STALE_AFTER_RECHECKS = 2.5


def max_sockets_per_person() -> int:
    return getattr(settings, "WEBSOCKET_MAX_PER_PERSON", DEFAULT_MAX_SOCKETS_PER_PERSON)


def recheck_seconds() -> float:
    return getattr(settings, "WEBSOCKET_RECHECK_SECONDS", DEFAULT_RECHECK_SECONDS)


def stale_after_seconds() -> float:
    return recheck_seconds() * STALE_AFTER_RECHECKS


# KEYS: connected, seen. ARGV: member, limit, stale_after (s), ttl (s).
# Returns the evicted members, oldest first; never the member just added.
_ADD_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local member, limit = ARGV[1], tonumber(ARGV[2])
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - tonumber(ARGV[3])))
for _, gone in ipairs(stale) do
  redis.call('ZREM', KEYS[1], gone)
  redis.call('ZREM', KEYS[2], gone)
end
redis.call('ZADD', KEYS[1], now, member)
redis.call('ZADD', KEYS[2], now, member)
local over = redis.call('ZCARD', KEYS[1]) - limit
local evicted = {}
if over > 0 then
  for _, oldest in ipairs(redis.call('ZRANGE', KEYS[1], 0, over)) do
    if #evicted < over and oldest ~= member then
      redis.call('ZREM', KEYS[1], oldest)
      redis.call('ZREM', KEYS[2], oldest)
      table.insert(evicted, oldest)
    end
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return evicted
"""

# KEYS: connected, seen. ARGV: member, ttl (s). A member dropped as stale while its
# process was merely slow comes back (counted as connected now).
_REFRESH_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
redis.call('ZADD', KEYS[1], 'NX', now, ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
"""


class RedisSocketRegistry:
    """The count in the channel layer's Redis (the shard that holds the person's keys)."""

    _clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, aioredis.Redis]]" = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, *, hosts: list, prefix: str) -> None:
        self.hosts = decode_hosts(hosts)
        self.prefix = prefix

    def keys(self, user_id: int) -> list[str]:
        base = f"{self.prefix}:sockets:{user_id}"
        return [f"{base}:connected", f"{base}:seen"]

    def _ttl(self) -> int:
        return math.ceil(stale_after_seconds()) + 1

    def _client(self, key: str) -> aioredis.Redis:
        # A connection pool belongs to one event loop (tests run one per test).
        loop = asyncio.get_running_loop()
        per_loop = self._clients.get(loop)
        if per_loop is None:
            per_loop = self._clients[loop] = {}
            _close_with_loop(loop, per_loop)
        host = self.hosts[zlib.crc32(key.encode()) % len(self.hosts)]
        host_id = repr(sorted(host.items()))
        if host_id not in per_loop:
            per_loop[host_id] = aioredis.Redis(connection_pool=create_pool(host))
        return per_loop[host_id]

    async def add(self, *, user_id: int, channel_name: str) -> list[str]:
        keys = self.keys(user_id)
        evicted = await self._client(keys[0]).eval(
            _ADD_SCRIPT, 2, *keys, channel_name, max_sockets_per_person(), stale_after_seconds(), self._ttl()
        )
        return [name.decode() if isinstance(name, bytes) else name for name in evicted]

    async def refresh(self, *, user_id: int, channel_name: str) -> None:
        keys = self.keys(user_id)
        await self._client(keys[0]).eval(_REFRESH_SCRIPT, 2, *keys, channel_name, self._ttl())

    async def remove(self, *, user_id: int, channel_name: str) -> None:
        keys = self.keys(user_id)
        client = self._client(keys[0])
        async with client.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.zrem(key, channel_name)
            await pipe.execute()


def _close_with_loop(loop: asyncio.AbstractEventLoop, clients: dict) -> None:
    """Close the loop's Redis clients when the loop closes, while it can still run them."""
    original_close = loop.close

    def close(self, *args, **kwargs):
        for client in clients.values():
            loop.run_until_complete(client.aclose(close_connection_pool=True))
        clients.clear()
        self.close = original_close
        return original_close(*args, **kwargs)

    loop.close = types.MethodType(close, loop)


@dataclass
class _Entry:
    connected_at: float
    seen_at: float


@dataclass
class MemorySocketRegistry:
    """The count in this process's memory: the in-memory channel layer is one process."""

    entries: dict[int, dict[str, _Entry]] = field(default_factory=dict)

    async def add(self, *, user_id: int, channel_name: str) -> list[str]:
        now = time.monotonic()
        sockets = self.entries.setdefault(user_id, {})
        for name in [name for name, entry in sockets.items() if entry.seen_at < now - stale_after_seconds()]:
            del sockets[name]
        sockets[channel_name] = _Entry(connected_at=now, seen_at=now)
        over = len(sockets) - max_sockets_per_person()
        oldest = sorted((name for name in sockets if name != channel_name), key=lambda name: sockets[name].connected_at)
        evicted = oldest[: max(0, over)]
        for name in evicted:
            del sockets[name]
        return evicted

    async def refresh(self, *, user_id: int, channel_name: str) -> None:
        now = time.monotonic()
        entry = self.entries.setdefault(user_id, {}).setdefault(channel_name, _Entry(connected_at=now, seen_at=now))
        entry.seen_at = now

    async def remove(self, *, user_id: int, channel_name: str) -> None:
        sockets = self.entries.get(user_id, {})
        sockets.pop(channel_name, None)
        if not sockets:
            self.entries.pop(user_id, None)


_memory_registry = MemorySocketRegistry()


def socket_registry() -> RedisSocketRegistry | MemorySocketRegistry:
    """The registry matching the configured channel layer."""
    layer = settings.CHANNEL_LAYERS.get("default", {})
    if not layer.get("BACKEND", "").startswith("channels_redis."):
        return _memory_registry
    config = layer.get("CONFIG", {})
    return RedisSocketRegistry(hosts=config.get("hosts"), prefix=config.get("prefix", "asgi"))
