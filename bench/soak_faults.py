"""The soak's faults (bench/soak.py), one every --fault-every seconds, in turn: Redis restarted
without persistence, a worker SIGKILLed and started again, a Daphne SIGKILLed and started
again, a receiver down for --outage-seconds."""

from __future__ import annotations

import threading
import time
from typing import Any

from bench.common import log, monotonic

RECEIVER_FAULTS = ("webhook 500", "push 500", "webhook refused", "email refused")


class SoakFaults:
    """Mixed into bench.soak.Soak: uses its args, stack, receivers (webhooks, push, smtp),
    email, faults and writing."""

    def fault(self, number: int, started: float) -> None:
        kind = ("redis restart", "worker kill", "daphne kill", "receiver outage")[number % 4]
        at = round(monotonic() - started, 1)
        event: dict[str, Any] = {"at_s": at, "fault": kind}
        stack = self.stack
        if kind == "redis restart":
            stack.redis.stop()
            time.sleep(1)
            stack.redis.start()
        elif kind == "worker kill":
            worker = stack.workers[(number // 4) % len(stack.workers)]
            worker.kill()
            event["which"] = worker.name
            # A log of its own: readiness is read from the log, and the old one says "ready." already.
            worker.log_path = worker.log_path.with_name(f"{worker.name}-after-fault-{number}.log")
            worker.start(timeout=120)
        elif kind == "daphne kill":
            server = stack.daphnes[(number // 4) % len(stack.daphnes)]
            server.process.kill()
            server.process.wait(timeout=10)
            event["which"] = server.port
            server.start()
        else:
            choices = [f for f in RECEIVER_FAULTS if self.email or not f.startswith("email")]
            which = choices[(number // 4) % len(choices)]
            event["which"] = which
            self.receiver_down(which)
            timer = threading.Timer(self.args.outage_seconds, self.receiver_up, args=(which,))
            timer.daemon = True
            timer.start()
        event["took_s"] = round(monotonic() - started - at, 1)
        self.faults.append(event)
        log(f"fault at {at:.0f} s: {kind} {event.get('which', '')} ({event['took_s']} s)")

    def receiver_down(self, which: str) -> None:
        target, how = which.split()
        if target == "webhook":
            self.webhooks.down(how)
        elif target == "push":
            self.push.fail_all(500)
        else:
            self.smtp.down(how)

    def receiver_up(self, which: str) -> None:
        target, _ = which.split()
        if target == "webhook":
            self.webhooks.up()
        elif target == "push":
            self.push.recover()
        elif self.smtp.mode != "up":
            self.smtp.up()

    def fault_loop(self, started: float) -> None:
        number = 0
        while self.writing:
            due = started + (number + 1) * self.args.fault_every
            while self.writing and monotonic() < due:
                time.sleep(0.2)
            if not self.writing:
                break
            try:
                self.fault(number, started)
            except Exception as error:  # a fault that fails is reported, the run goes on
                self.faults.append({"at_s": round(monotonic() - started, 1), "error": repr(error)})
                log(f"fault {number} failed: {error!r}")
            number += 1
