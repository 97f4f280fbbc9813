"""Running the same work in several threads at the same moment (races against the database)."""

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def at_once(work: Callable[[], T], count: int = 2) -> list[T]:
    """Run `work` in `count` threads released together; their results (in no set order). Each
    thread closes its own database connection when done. An exception in one is raised here."""
    start = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        from django.db import connection

        start.wait()
        try:
            result = work()
            with lock:
                results.append(result)
        except BaseException as error:  # handed to the test's thread below
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
