"""Process-level tuning shared by everything that serves Budget Pay for a long time."""

import gc

from django.urls import get_resolver


def settle_garbage_collector() -> None:
    """Keep CPython's cyclic collector from stalling a long-lived process.

    A full (generation 2) collection walks every tracked object, and a Django
    process holds a few hundred thousand from start-up alone; with a thousand
    sockets open each full collection stalled requests and pushes by 100-200 ms
    on a 2-core machine, which was the whole p99 of a write's notification
    (docs/performance.md). So: load the URL conf (and with it every view
    module) now, move everything that exists to the permanent generation the
    collector never walks, and collect the young generation every 10,000
    allocations instead of 700 so short-lived request objects die before they
    are promoted. Call it once, after Django is set up.
    """
    get_resolver().url_patterns  # noqa: B018
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
