"""The job engine: Celery when a broker is configured, else threads in this process.

Jobs are Celery tasks (`@shared_task` in an app's `tasks.py`). Callers never run one in
their own thread: `enqueue()` hands it over and returns at once, and never raises (a job
that is lost is found again by whoever owns its rows: the delivery sweeper, an import's
state). Where a job runs:

- "celery": `CELERY_BROKER_URL` (or `REDIS_URL`) is set. A small doorbell thread publishes
  the job, so a broker that is down or slow never holds up the request that asked for it;
  workers and beat run as their own processes (docs/deployment.md).
- "thread": no broker and `JOBS_IN_PROCESS` (the embedded default). `start_in_process()`,
  called by the ASGI application, runs jobs on a thread pool and the periodic schedule
  (`CELERY_BEAT_SCHEDULE`, the same one beat runs) on a scheduler thread.
- "inline": `JOBS_INLINE` (tests only): the job runs when enqueued, in the caller's thread.
- "off": neither (a management command, the test process): nothing runs by itself.
"""

import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from celery import Celery
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

app = Celery("budgetpay")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def mode() -> str:
    if getattr(settings, "JOBS_INLINE", False):
        return "inline"
    if settings.CELERY_BROKER_URL:
        return "celery"
    if _runner is not None:
        return "thread"
    return "off"


def enqueue(task, *args: Any) -> None:
    """Run `task(*args)` soon, elsewhere. Never raises and never waits on a broker."""
    current = mode()
    if current == "inline":
        task(*args)
    elif current == "celery":
        _doorbell().put((task, args))
    elif current == "thread":
        _runner.submit(task.name, args)
    else:
        logger.debug("no job engine in this process: %s%r waits for a worker's sweep", task.name, args)


# --- Celery: publishing off the caller's thread --------------------------------------------

_doorbell_queue: queue.SimpleQueue | None = None
_doorbell_lock = threading.Lock()


def _doorbell() -> queue.SimpleQueue:
    global _doorbell_queue
    with _doorbell_lock:
        if _doorbell_queue is None:
            _doorbell_queue = queue.SimpleQueue()
            threading.Thread(
                target=_publish_forever, args=(_doorbell_queue,), name="jobs-doorbell", daemon=True
            ).start()
    return _doorbell_queue


def _publish_forever(pending: queue.SimpleQueue) -> None:
    while True:
        task, args = pending.get()
        try:
            task.apply_async(args=args, retry=False)
        except Exception:  # the broker is down: the job's rows stay due, and a sweep finds them
            logger.warning("could not publish %s%r; it waits for the next sweep", task.name, args, exc_info=True)


def wait_published(timeout: float = 5.0) -> bool:
    """True once the doorbell thread has handed over everything queued (tests, shutdown)."""
    deadline = time.monotonic() + timeout
    while _doorbell_queue is not None and not _doorbell_queue.empty():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# --- In process: a pool for jobs and a thread for the schedule ------------------------------


class InProcessRunner:
    """Runs enqueued jobs on a thread pool and the periodic schedule on a thread of its own:
    what a Celery worker and beat do, for a single process with no broker."""

    def __init__(self, *, threads: int, schedule: dict[str, dict], tick: float = 1.0) -> None:
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="jobs")
        self.schedule = schedule
        self.tick = tick
        self.stopped = threading.Event()
        self.scheduler = threading.Thread(target=self._schedule_forever, name="jobs-schedule", daemon=True)

    def start(self) -> None:
        app.loader.import_default_modules()
        self.scheduler.start()

    def stop(self) -> None:
        self.stopped.set()
        self.pool.shutdown(wait=False, cancel_futures=True)

    def submit(self, name: str, args: tuple) -> None:
        try:
            self.pool.submit(_run, name, args)
        except RuntimeError:  # shutting down
            logger.info("not running %s%r: the process is stopping", name, args)

    def _schedule_forever(self) -> None:
        next_run = {name: time.monotonic() for name in self.schedule}
        last_run = {name: timezone.now() - timedelta(days=1) for name in self.schedule}
        while not self.stopped.wait(self.tick):
            for name, entry in self.schedule.items():
                every = entry["schedule"]
                if isinstance(every, int | float | timedelta):
                    seconds = every.total_seconds() if isinstance(every, timedelta) else float(every)
                    if time.monotonic() < next_run[name]:
                        continue
                    next_run[name] = time.monotonic() + seconds
                else:  # a celery schedule (crontab): ask it
                    due, _ = every.is_due(last_run[name])
                    if not due:
                        continue
                    last_run[name] = timezone.now()
                self.submit(entry["task"], tuple(entry.get("args", ())))


def _run(name: str, args: tuple) -> None:
    close_old_connections()
    try:
        app.tasks[name](*args)
    except Exception:
        logger.exception("job %s%r failed", name, args)
    finally:
        close_old_connections()


_runner: InProcessRunner | None = None


def start_in_process() -> bool:
    """Start this process's job threads when it is the embedded default (no broker,
    `JOBS_IN_PROCESS`); once per process. True when they run."""
    global _runner
    if _runner is not None:
        return True
    if settings.CELERY_BROKER_URL or not settings.JOBS_IN_PROCESS:
        return False
    _runner = InProcessRunner(threads=settings.JOBS_IN_PROCESS_THREADS, schedule=settings.CELERY_BEAT_SCHEDULE)
    _runner.start()
    logger.info("jobs run in this process (%d threads; no broker configured)", settings.JOBS_IN_PROCESS_THREADS)
    return True


def stop_in_process() -> None:
    global _runner
    if _runner is not None:
        _runner.stop()
        _runner = None


def heartbeat(name: str) -> None:
    """Record that the periodic job `name` just ran (`/health` reads it)."""
    from budgetpay.models import Heartbeat

    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})


def last_heartbeat(name: str):
    from budgetpay.models import Heartbeat

    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()
