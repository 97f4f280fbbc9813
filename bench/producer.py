"""A Django process that causes notifications without HTTP, at a fixed open-loop rate.

notify_open_loop {users, rate, duration, first_seq, threads}
    notifications.services.notify(): the real write path (preference check, row lock,
    INSERT, commit, then the on-commit push with its unread-count query), run in worker
    threads through asgiref exactly as a Daphne request runs it.
layer_open_loop {users, rate, duration, first_seq, concurrency}
    channel_layer.group_send() of a ready payload: the delivery path alone, the part
    that compares with the raw Redis + websockets limit. (Only the benchmark bypasses
    notify(); the application never does.)
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "budgetpay.settings")

import django  # noqa: E402

django.setup()

from asgiref.sync import sync_to_async  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from django.db import close_old_connections  # noqa: E402

from bench import aio  # noqa: E402
from bench.common import monotonic, open_loop_answer  # noqa: E402
from bench.payloads import income_message, notification  # noqa: E402
from budgetpay.runtime import settle_garbage_collector  # noqa: E402
from budgetpay.sockets import user_group  # noqa: E402
from notifications.models import Notification  # noqa: E402
from notifications.services import notify  # noqa: E402
from users.models import User  # noqa: E402

# Payload ids for the layer-only arm: above any real notification id, rising, so the
# consumer (which skips ids it has already sent) passes every one on.
LAYER_ID_BASE = 1_000_000_000


async def notify_open_loop(
    users: list[int], rate: float, duration: float, first_seq: int, threads: int = 8
) -> dict[str, Any]:
    people = await sync_to_async(lambda: list(User.objects.filter(pk__in=users).order_by("pk")))()
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="notify")
    records: list[list] = []
    errors: Counter[str] = Counter()

    def write(seq: int, user: User) -> bool:
        try:
            return _write(seq, user)
        finally:
            # What the end of a request does: give the connection back to the pool.
            close_old_connections()

    def _write(seq: int, user: User) -> bool:
        created = notify(
            user=user,
            type=Notification.Type.INCOME_RECEIVED,
            level=Notification.Level.SUCCESS,
            title="Income received: 10.00 USD",
            message=income_message(seq),
            data={"transaction_id": seq, "amount": "10.00", "currency": "USD"},
            dedupe_key=f"bench:{seq}",
        )
        return created is not None

    call = sync_to_async(write, thread_sensitive=False, executor=executor)

    async def fire(i: int, due: float) -> None:
        seq = first_seq + i
        try:
            created = await call(seq, people[i % len(people)])
        except Exception as error:
            errors[f"{error.__class__.__name__}: {str(error).strip()[:120]}"] += 1
            return
        if created:
            records.append([seq, due, monotonic()])
        else:
            errors["not created"] += 1

    start, fired = await aio.open_loop(rate, duration, fire)
    executor.shutdown(wait=True)
    return open_loop_answer(records, errors, start=start, fired=fired, duration=duration)


async def layer_open_loop(
    users: list[int], rate: float, duration: float, first_seq: int, concurrency: int = 64
) -> dict[str, Any]:
    layer = get_channel_layer()
    limit = asyncio.Semaphore(concurrency)
    records: list[list] = []
    errors: Counter[str] = Counter()

    async def fire(i: int, due: float) -> None:
        seq = first_seq + i
        message = {
            "type": "notification.created",
            "notification": notification(seq, LAYER_ID_BASE + seq),
            "unread_count": 1,
        }
        async with limit:
            try:
                await layer.group_send(user_group(users[i % len(users)]), message)
            except Exception as error:
                errors[error.__class__.__name__] += 1
                return
        records.append([seq, due, monotonic()])

    start, fired = await aio.open_loop(rate, duration, fire)
    return open_loop_answer(records, errors, start=start, fired=fired, duration=duration)


async def main() -> None:
    # The writing process is a server process in production (budgetpay.asgi): same tuning.
    settle_garbage_collector()
    await aio.serve({"notify_open_loop": notify_open_loop, "layer_open_loop": layer_open_loop})


if __name__ == "__main__":
    aio.run(main)
