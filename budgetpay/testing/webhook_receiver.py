"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 and a free port that checks each
request's Standard Webhooks signature the way a person's receiver would, records it, answers what
the test says, and de-duplicates by `webhook-id` as the docs tell receivers to (counting the
duplicates it drops). End-to-end tests point webhooks of a Daphne or Celery process at it, so it
verifies with code of its own, not with notifications.webhooks.

Standard library only, like budgetpay/testing/servers.py. Calls to it need 127.0.0.0/8 in
WEBHOOKS_ALLOWED_NETWORKS (on the sending process)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# How far a webhook-timestamp may be from this machine's clock (the Standard Webhooks default).
TOLERANCE_SECONDS = 5 * 60


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> bool:
    """True when `headers` carry a v1 signature of `body` under `secret` ("whsec_<base64 key>")
    and a webhook-timestamp within TOLERANCE_SECONDS of `now`."""
    headers = {name.lower(): value for name, value in headers.items()}
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (msg_id and timestamp.isdigit() and signatures and secret):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error:
        return False
    expected = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    for signature in signatures.split(" "):  # several may be sent while a secret is rotated
        version, _, value = signature.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except binascii.Error:
            continue
        if hmac.compare_digest(given, expected):
            return True
    return False


@dataclass
class Received:
    """One request as the receiver saw it and what it answered."""

    id: str
    timestamp: str
    signature: str
    verified: bool
    body: bytes
    headers: dict[str, str]
    path: str
    status: int
    duplicate: bool = False
    payload: object = None  # the body as JSON (None when it is not JSON)


@dataclass
class _Plan:
    status: int
    times: int | None  # None: until told otherwise
    location: str = ""
    body: bytes = b""


class WebhookReceiver:
    """`with WebhookReceiver(secret) as receiver:` serves at `receiver.url`.

    - `secret` (settable later, e.g. once the API has answered it) verifies each request; an
      unverified one is answered 401, as a careful receiver would.
    - `respond(500, times=3)` answers the next three requests 500, then 200 again;
      `respond(503)` answers 503 until told otherwise; `respond(302, location=url)` redirects.
    - `requests` holds every request in order; `deliveries` the verified, accepted (2xx) ones,
      one per webhook-id (the first); `duplicates` counts accepted requests whose id was already
      accepted (what a receiver that de-duplicates drops).
    - `delay` (seconds, settable at any time) holds each answer that long, as a slow receiver does.
    - `wait_for(n)` waits until `n` deliveries were accepted; `wait_for_requests(n)` until `n`
      requests arrived.
    """

    def __init__(self, secret: str = "", *, path: str = "/hook") -> None:
        self.secret = secret
        self.requests: list[Received] = []
        self.deliveries: dict[str, Received] = {}
        self.duplicates = 0
        self.delay = 0.0
        self._plan: list[_Plan] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if receiver.delay:
                    time.sleep(receiver.delay)
                status, location, answer = receiver._take(dict(self.headers), body, self.path)
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def respond(self, status: int, *, times: int | None = None, location: str = "", body: bytes = b"") -> None:
        """Answer `status` to the next `times` requests (None: until told otherwise), then 200."""
        with self._changed:
            self._plan = [_Plan(status, times, location, body)]

    def _take(self, headers: dict[str, str], body: bytes, path: str) -> tuple[int, str, bytes]:
        lower = {name.lower(): value for name, value in headers.items()}
        verified = verify(self.secret, lower, body)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        with self._changed:
            status, location, answer = 200, "", b"ok"
            if self._plan:
                plan = self._plan[0]
                status, location, answer = plan.status, plan.location, plan.body
                if plan.times is not None:
                    plan.times -= 1
                    if plan.times <= 0:
                        self._plan.pop(0)
            if not verified:
                status, location, answer = 401, "", b"signature not verified"
            received = Received(
                id=lower.get("webhook-id", ""),
                timestamp=lower.get("webhook-timestamp", ""),
                signature=lower.get("webhook-signature", ""),
                verified=verified,
                body=body,
                headers=lower,
                path=path,
                status=status,
                payload=parsed,
            )
            if verified and 200 <= status < 300:
                if received.id in self.deliveries:
                    received.duplicate = True
                    self.duplicates += 1
                else:
                    self.deliveries[received.id] = received
            self.requests.append(received)
            self._changed.notify_all()
        return status, location, answer

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        """The first `count` accepted deliveries (one per webhook-id), waiting up to `timeout` seconds."""
        self._wait(lambda: len(self.deliveries) >= count, timeout, f"{count} deliveries")
        return list(self.deliveries.values())[:count]

    def wait_for_requests(self, count: int, timeout: float = 15.0) -> list[Received]:
        """The first `count` requests, whatever they were answered."""
        self._wait(lambda: len(self.requests) >= count, timeout, f"{count} requests")
        return self.requests[:count]

    def _wait(self, done, timeout: float, what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(done, timeout=timeout):
                seen = [(r.id, r.status, r.verified) for r in self.requests]
                raise AssertionError(f"the webhook receiver did not get {what} in {timeout} s; it saw {seen}")
