"""Receivers for the soak and the fan-out bench that count, per delivery id, what arrived: one
webhook endpoint for many people (a path and a secret each, every signature verified with
budgetpay.testing.webhook_receiver.verify) and a local SMTP server (aiosmtpd). Both can be
taken down for a while: answering 500 (or 451 for mail), or not listening at all
(connection refused), then brought back on the same port.

Push goes to budgetpay.testing.push_service.PushService, which decrypts every push itself."""

from __future__ import annotations

import re
import threading
from collections import Counter
from email.parser import BytesHeaderParser
from email.policy import compat32
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from budgetpay.testing.webhook_receiver import verify

# A delivery's key (notifications.outbox.new_key): what Message-ID, webhook-id and the push id carry.
DELIVERY_KEY = re.compile(r"msg_[0-9a-f]{32}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class WebhookEndpoint:
    """`/hook/<name>` per person, each verified with its own secret (set with `add`). Counts
    the verified requests it accepted per webhook-id (duplicates included); `down("500")`
    answers 500 to everything, `down("refused")` stops listening; `up()` ends either."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.accepted: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.unverified = 0
        self.mode = "up"
        self._lock = threading.Lock()
        self._httpd = self._serve(0)
        self.port = self._httpd.server_address[1]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/hook/{name}"

    def add(self, name: str, secret: str) -> None:
        self.secrets[f"/hook/{name}"] = secret

    def _serve(self, port: int) -> _Server:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status = endpoint._take(self.path, dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        httpd = _Server(("127.0.0.1", port), Handler)
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return httpd

    def _take(self, path: str, headers: dict[str, str], body: bytes) -> int:
        if self.mode == "500":
            status = 500
        elif not verify(self.secrets.get(path, ""), headers, body):
            status = 401
        else:
            status = 200
        lower = {name.lower(): value for name, value in headers.items()}
        with self._lock:
            self.statuses[status] += 1
            if status == 401:
                self.unverified += 1
            elif status == 200:
                self.accepted[lower.get("webhook-id", "")] += 1
        return status

    def down(self, how: str) -> None:
        """ "500": answer 500 to every request; "refused": stop listening."""
        if how == "refused":
            self._httpd.shutdown()
            self._httpd.server_close()
        self.mode = how

    def up(self) -> None:
        if self.mode == "refused":
            self._httpd = self._serve(self.port)
        self.mode = "up"

    def close(self) -> None:
        if self.mode != "refused":
            self._httpd.shutdown()
            self._httpd.server_close()


class SmtpRecorder:
    """A local SMTP server that accepts every message and counts them by the delivery key in
    their Message-ID (messages without one are counted apart). `down("451")` answers every
    message with a temporary failure; `down("refused")` stops listening; `up()` ends either."""

    def __init__(self) -> None:
        from budgetpay.testing.servers import free_port

        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.received: Counter[str] = Counter()
        self.without_key = 0
        self.refused_451 = 0
        self.mode = "up"
        self._lock = threading.Lock()
        self._controller = None
        self._start()

    def _start(self) -> None:
        from aiosmtpd.controller import Controller

        recorder = self

        class Handler:
            async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
                return recorder._take(envelope.original_content or envelope.content)

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def _take(self, content: bytes) -> str:
        if self.mode == "451":
            with self._lock:
                self.refused_451 += 1
            return "451 4.3.0 Try again later"
        # The headers only: the body is not what is counted, and parsing every message whole
        # (email.policy.default) cost the soak more CPU than the workers spent writing them.
        headers = BytesHeaderParser(policy=compat32).parsebytes(content)
        found = DELIVERY_KEY.search(str(headers.get("Message-ID", "")))
        with self._lock:
            if found:
                self.received[found.group(0)] += 1
            else:
                self.without_key += 1
        return "250 OK"

    def down(self, how: str) -> None:
        if how == "refused":
            self._controller.stop()
        self.mode = how

    def up(self) -> None:
        if self.mode == "refused":
            self._start()
        self.mode = "up"

    def close(self) -> None:
        if self.mode != "refused":
            self._controller.stop()


def channel_counts(created: set[str] | list[str], received: Counter) -> dict[str, int]:
    """created, received unique, lost and duplicates (before de-duplication) of one channel."""
    created = set(created)
    arrived = {key for key in received if key in created}
    return {
        "created": len(created),
        "received_unique": len(arrived),
        "lost": len(created - arrived),
        "duplicates_before_dedup": sum(received[key] - 1 for key in arrived),
        "unexpected": sum(1 for key in received if key not in created),
    }
