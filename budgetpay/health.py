"""`GET /health`: is the database reachable, and does the channel layer carry a message?"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

CHANNEL_LAYER_TIMEOUT_SECONDS = 3


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _round_trip_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured")

    async def round_trip() -> None:
        channel = await layer.new_channel("health.")
        await layer.send(channel, {"type": "health.ping"})
        message = await layer.receive(channel)
        if message.get("type") != "health.ping":
            raise RuntimeError("the channel layer returned a different message")

    await asyncio.wait_for(round_trip(), timeout=CHANNEL_LAYER_TIMEOUT_SECONDS)


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    for name, check in (
        ("database", _check_database),
        ("channel_layer", async_to_sync(_round_trip_channel_layer)),
    ):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # any failure of a dependency is a 503, with its reason
            logger.warning("health check %s failed: %r", name, exc)
            checks[name] = f"error: {exc.__class__.__name__}: {exc}" if str(exc) else f"error: {exc!r}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
