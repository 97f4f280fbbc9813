"""The asyncio side of the worker protocol: commands as JSON lines on stdin,
answers as JSON lines on stdout, uvloop when it is installed (the load generators
should cost the machine as little as possible; both arms of every A/B get the same)."""

from __future__ import annotations

import asyncio
import json
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from bench.common import monotonic


async def _stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def serve(handlers: dict[str, Callable[..., Awaitable[dict[str, Any]]]]) -> None:
    reader = await _stdin_reader()
    while True:
        line = await reader.readline()
        if not line:
            return
        command = json.loads(line)
        name = command.pop("cmd")
        if name == "exit":
            return
        try:
            answer = await handlers[name](**command)
        except Exception as exc:  # reported to the orchestrator, which stops the run
            traceback.print_exc()
            answer = {"error": f"{name}: {exc.__class__.__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def run(main: Callable[[], Awaitable[None]]) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())


async def open_loop(rate: float, duration: float, fire) -> tuple[float, float]:
    """Call fire(i, due) at each due time; returns (start, time the last one was fired)."""
    count = max(1, int(rate * duration))
    start = monotonic() + 0.1
    tasks = []
    for i in range(count):
        due = start + i / rate
        delay = due - monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(fire(i, due)))
    fired = monotonic()
    await asyncio.gather(*tasks)
    return start, fired
