"""Running work in several threads at the same moment (races against the database)."""

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

JOIN_SECONDS = 120


def each_at_once(works: Sequence[Callable[[], T]]) -> list[T]:
    """Run each of `works` in a thread of its own, all released together; their results in the
    order given. Each thread closes its own database connection when done. An exception in
    one is raised here; a thread still running after JOIN_SECONDS fails the test (a deadlock)."""
    start = threading.Barrier(len(works))
    results: list[T | None] = [None] * len(works)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        from django.db import connection

        start.wait()
        try:
            results[index] = works[index]()
        except BaseException as error:  # handed to the test's thread below
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_SECONDS)
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        raise AssertionError(f"{stuck} of {len(threads)} threads still running after {JOIN_SECONDS} s")
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]  # every slot was filled: no error, none stuck


def at_once(work: Callable[[], T], count: int = 2) -> list[T]:
    """Run `work` in `count` threads released together; their results."""
    return each_at_once([work] * count)
