"""`GET /health`: is the database reachable, and does the channel layer carry a message?"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from budgetpay import jobs

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
        {"status": "ok" if healthy else "unavailable", "checks": checks, "jobs": _jobs_state()},
        status=200 if healthy else 503,
    )


def _jobs_state() -> dict:
    """Whether the delivery sweeper ran lately. Reported, not part of the 503: a web process
    keeps serving while workers are down; a monitor reads `jobs.sweeper`."""
    try:
        last = jobs.last_heartbeat("deliveries-sweep")
    except Exception as exc:
        return {"engine": jobs.mode(), "sweeper": f"error: {exc.__class__.__name__}"}
    if last is None:
        return {"engine": jobs.mode(), "sweeper": "never ran", "sweeper_last_run": None}
    age = (timezone.now() - last).total_seconds()
    fresh = age <= settings.DELIVERY_SWEEPER_STALE_SECONDS
    return {
        "engine": jobs.mode(),
        "sweeper": "ok" if fresh else "stale",
        "sweeper_last_run": last.isoformat(),
        "sweeper_age_seconds": round(age, 1),
    }
