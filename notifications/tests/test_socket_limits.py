"""Limits on sockets (issue 12, item 13): at most WEBSOCKET_MAX_PER_PERSON (20) open
sockets per person across every process, the oldest closed with 4008 when one more
opens; a frame over 1 MiB closed with 1009 by a real Daphne; 4013, not HTTP 500, for
a socket opened while Redis is down."""

import asyncio
import base64
import json
import time
from contextlib import ExitStack

import pytest
import redis
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken
from websockets.sync.client import connect

from budgetpay.asgi import application
from budgetpay.socket_limits import MemorySocketRegistry, RedisSocketRegistry, socket_registry
from budgetpay.testing.servers import DaphneServer, daphne_processes, prepare_e2e_database, register
from budgetpay.testing.sockets import close_of, live_socket, pongs
from budgetpay.websocket_server import MESSAGE_TOO_BIG_REASON

WS = "/api/v1/notification/ws"
CHAT = "/api/v1/chatbot/ws"
TOO_MANY = (4008, "too many sockets: closed the oldest")
PASSWORD = "limits-long-password-23"


# --- in one process ------------------------------------------------------------------


async def open_live(user, path: str = WS) -> WebsocketCommunicator:
    # The notification socket's first frame is the count it is asked for; the chat's is ready.
    communicator = WebsocketCommunicator(application, f"{path}?token={AccessToken.for_user(user)}&unread_count=1")
    connected, _ = await communicator.connect()
    assert connected
    assert json.loads(await communicator.receive_from(timeout=3))["type"] in ("unread_count", "ready")
    return communicator


async def closed_with(socket: WebsocketCommunicator) -> tuple[int, str]:
    output = await socket.receive_output(timeout=3)
    assert output["type"] == "websocket.close", output
    return output["code"], output["reason"]


async def still_open(socket: WebsocketCommunicator) -> bool:
    await socket.send_to(text_data=json.dumps({"type": "ping"}))
    return json.loads(await socket.receive_from(timeout=3)) == {"type": "pong"}


@pytest.fixture
def fresh_socket_count(user, other_user):
    """With a Redis channel layer (CI) the count outlives a test: start from none."""
    registry = socket_registry()
    if isinstance(registry, RedisSocketRegistry):
        client = redis.Redis.from_url(registry.hosts[0]["address"])
        for person in (user, other_user):
            client.delete(*registry.keys(person.pk))
        client.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_21st_socket_closes_the_oldest_and_is_accepted(user, other_user, fresh_socket_count):
    bystander = await open_live(other_user)
    sockets = [await open_live(user, CHAT if i % 2 else WS) for i in range(20)]
    assert all([await socket.receive_nothing(timeout=0.01) for socket in sockets])

    newest = await open_live(user)
    assert await closed_with(sockets[0]) == TOO_MANY
    assert await still_open(newest) and await still_open(sockets[1]) and await still_open(sockets[19])
    assert await still_open(bystander)

    another = await open_live(user, CHAT)
    assert await closed_with(sockets[1]) == TOO_MANY  # a chat socket counts the same
    assert await still_open(sockets[2])

    # A closed socket gives its place back.
    await sockets[5].disconnect()
    one_more = await open_live(user)
    assert await sockets[2].receive_nothing(timeout=0.2)
    for socket in [*sockets[2:5], *sockets[6:], newest, another, one_more, bystander]:
        await socket.disconnect()


async def registry_members(registry, user_id: int) -> set[str]:
    if isinstance(registry, MemorySocketRegistry):
        return set(registry.entries.get(user_id, {}))
    client = registry._client(registry.keys(user_id)[0])
    return {name.decode() for name in await client.zrange(registry.keys(user_id)[0], 0, -1)}


async def check_stale_entries_are_dropped(registry, settings) -> None:
    settings.WEBSOCKET_RECHECK_SECONDS = 0.4  # stale after 1 s without a heartbeat
    settings.WEBSOCKET_MAX_PER_PERSON = 3
    for name in ("dead-1", "dead-2", "alive"):
        assert await registry.add(user_id=7, channel_name=name) == []
    await asyncio.sleep(0.6)
    await registry.refresh(user_id=7, channel_name="alive")
    await asyncio.sleep(0.6)
    # The two that stopped refreshing (their process was killed) hold no place.
    assert await registry.add(user_id=7, channel_name="new-1") == []
    assert await registry_members(registry, 7) == {"alive", "new-1"}
    assert await registry.add(user_id=7, channel_name="new-2") == []
    assert await registry.add(user_id=7, channel_name="new-3") == ["alive"]
    await registry.remove(user_id=7, channel_name="new-1")
    assert await registry_members(registry, 7) == {"new-2", "new-3"}


@pytest.mark.asyncio
async def test_in_memory_count_drops_entries_without_a_heartbeat(settings):
    await check_stale_entries_are_dropped(MemorySocketRegistry(), settings)


@pytest.mark.services
@pytest.mark.asyncio
async def test_redis_count_drops_entries_without_a_heartbeat(settings, redis_url):
    registry = RedisSocketRegistry(hosts=[redis_url], prefix=f"test-limits-{time.time_ns()}")
    await check_stale_entries_are_dropped(registry, settings)
    client = registry._client(registry.keys(7)[0])
    assert 0 < await client.ttl(registry.keys(7)[0]) <= 2  # the keys go when nobody refreshes them
    await client.delete(*registry.keys(7))


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_socket_opened_while_redis_is_down_closes_with_4013(user, private_redis, settings):
    private_redis.stop()
    for backend in ("channels_redis.pubsub.RedisPubSubChannelLayer", "channels_redis.core.RedisChannelLayer"):
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": backend, "CONFIG": {"hosts": [private_redis.url]}}}
        for path in (WS, CHAT):
            communicator = WebsocketCommunicator(application, f"{path}?token={AccessToken.for_user(user)}")
            connected, _ = await communicator.connect(timeout=10)
            assert connected, backend
            assert (await communicator.receive_output(timeout=10))["code"] == 4013, backend


# --- real Daphne processes -------------------------------------------------------------


def user_id_of(access_token: str) -> int:
    payload = access_token.split(".")[1]
    return int(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["user_id"])


@pytest.mark.e2e
def test_a_frame_over_1_mib_closes_with_1009_and_a_reason(daphne_server):
    tokens = register(daphne_server.url, "big-frames@example.com", PASSWORD)
    with ExitStack() as sockets:
        socket = live_socket(sockets, daphne_server, tokens["access"])
        socket.send(json.dumps({"type": "ping", "padding": "x" * 100 * 1024}))  # over 16 KiB, under 1 MiB
        assert json.loads(socket.recv(timeout=10))["error"] == "frame_too_large"
        assert pongs(socket)
        socket.send("x" * 2 * 1024 * 1024)
        assert close_of(socket) == (1009, MESSAGE_TOO_BIG_REASON)
        socket = live_socket(sockets, daphne_server, tokens["access"])
        socket.send(b"\0" * 2 * 1024 * 1024)
        assert close_of(socket) == (1009, MESSAGE_TOO_BIG_REASON)


@pytest.mark.e2e
@pytest.mark.services
@pytest.mark.parametrize("layer", ["pubsub", "core"])
def test_a_real_server_answers_4013_while_redis_is_down(tmp_path, postgres_url, private_redis, layer):
    database_url = prepare_e2e_database(tmp_path, f"redisdown_{layer}", base_url=postgres_url)
    server = DaphneServer(tmp_path, database_url=database_url, REDIS_URL=private_redis.url, CHANNEL_LAYER=layer).start()
    try:
        tokens = register(server.url, "handshake-outage@example.com", PASSWORD)
        private_redis.stop()
        for path in (WS, CHAT):
            with connect(f"{server.ws_url}{path}?token={tokens['access']}", open_timeout=15) as socket:
                assert close_of(socket) == (4013, "service unavailable: reconnect with backoff")
        log = server.log_path.read_text()
        assert "Exception inside application" not in log and " 500 " not in log, log
    finally:
        server.stop()


@pytest.mark.e2e
@pytest.mark.services
def test_the_cap_holds_across_processes_and_a_killed_process_leaves_no_count(tmp_path, postgres_url, redis_url):
    prefix = f"e2e-limits-{time.time_ns()}"
    database_url = prepare_e2e_database(tmp_path, "limits", base_url=postgres_url)
    processes = daphne_processes(
        tmp_path, database_url=database_url, redis_url=redis_url, prefix=prefix, WEBSOCKET_RECHECK_SECONDS="1"
    )
    with processes as (first, second):
        tokens = register(first.url, "many-tabs@example.com", PASSWORD)
        sockets = ExitStack()
        on_first = [live_socket(sockets, first, tokens["access"]) for _ in range(10)]
        on_second = [live_socket(sockets, second, tokens["access"]) for _ in range(10)]

        newest = live_socket(sockets, second, tokens["access"])
        assert close_of(on_first[0]) == TOO_MANY  # the oldest, on the other process
        assert pongs(on_first[1]) and pongs(on_second[0]) and pongs(newest)

        first.process.kill()  # SIGKILL: its nine sockets never say goodbye
        first.process.wait(timeout=10)
        time.sleep(4)  # past 2.5 re-check intervals without their heartbeat

        # The dead process's entries hold no places: 20 live sockets fit, and the 21st
        # closes the oldest live one (a dead entry would have been "evicted" instead).
        for _ in range(9):
            live_socket(sockets, second, tokens["access"])
        keys = f"{prefix}:sockets:{user_id_of(tokens['access'])}"
        client = redis.Redis.from_url(redis_url)
        assert client.zcard(f"{keys}:connected") == 20
        assert all(pongs(socket) for socket in on_second)
        live_socket(sockets, second, tokens["access"])
        assert close_of(on_second[0]) == TOO_MANY
        assert client.zcard(f"{keys}:connected") == 20
        client.delete(f"{keys}:connected", f"{keys}:seen")
        client.close()
        for socket in on_first:
            socket.close_socket()  # its server is gone: no closing handshake to wait for
        sockets.close()


@pytest.mark.e2e
@pytest.mark.services
def test_the_core_channel_layer_closes_the_oldest_on_another_process_too(tmp_path, postgres_url, redis_url):
    """The core layer queues a message for a socket in Redis per receiving process: the
    eviction still reaches the oldest socket wherever it is."""
    prefix = f"e2e-limits-core-{time.time_ns()}"
    database_url = prepare_e2e_database(tmp_path, "limits_core", base_url=postgres_url)
    processes = daphne_processes(
        tmp_path,
        database_url=database_url,
        redis_url=redis_url,
        prefix=prefix,
        CHANNEL_LAYER="core",
        WEBSOCKET_MAX_PER_PERSON="2",
    )
    with processes as (first, second), ExitStack() as sockets:
        tokens = register(first.url, "core-tabs@example.com", PASSWORD)
        oldest = live_socket(sockets, first, tokens["access"])
        on_second = [live_socket(sockets, second, tokens["access"]) for _ in range(2)]
        assert close_of(oldest) == TOO_MANY
        assert all(pongs(socket) for socket in on_second)
