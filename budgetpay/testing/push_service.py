"""A Web Push service on 127.0.0.1 for tests: the part of a browser vendor's push service
(FCM, Mozilla autopush...) that a sender talks to, and the browser behind it.

`subscription()` makes what a browser's pushManager.subscribe() would: a fresh P-256 key pair
and auth secret, and an endpoint on this server; it returns the `PushSubscription.toJSON()`
dict a page posts to the API. A push POSTed to an endpoint is checked as a push service
checks it (RFC 8292 VAPID: `Authorization: vapid t=<ES256 JWT>,k=<public key>`, the JWT
signed by k, `aud` this server's origin, `exp` in the future and within 24 hours, a `sub`,
and k the application server key the browser subscribed with when one is given; RFC 8030:
a TTL, a valid Topic and Urgency) and decrypted as the browser would (RFC 8291 aes128gcm
with the subscription's private key and auth secret). Accepted pushes are kept in `messages`,
refused ones in `rejected`; every request in `requests`.

A test can make an endpoint answer 410 (the browser unsubscribed) or the next requests 500
or 429. It is a real HTTP server: senders in other processes (Daphne, Celery workers) reach it
as well as the test's own thread. Calls to it need 127.0.0.0/8 in WEBHOOKS_ALLOWED_NETWORKS.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

# A VAPID token may not be valid for longer than a day (RFC 8292 section 2).
MAX_TOKEN_SECONDS = 24 * 3600
# RFC 8030 section 5.4: up to 32 characters of the URL-safe base64 alphabet.
_TOPIC_CHARS = frozenset(string.ascii_letters + string.digits + "-_")
_URGENCIES = ("very-low", "low", "normal", "high")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class PushMessage:
    """One push the service accepted, decrypted as the browser sees it."""

    endpoint: str
    headers: dict[str, str]  # lower-cased names
    plaintext: bytes
    payload: Any  # the plaintext as JSON (None when it is not JSON)
    topic: str | None
    ttl: int
    urgency: str
    claims: dict[str, Any]  # the VAPID JWT's
    vapid_key: str  # k: the sender's public key


@dataclass
class _Browser:
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class _Faults:
    gone: set[str] = field(default_factory=set)
    next_statuses: list[int] = field(default_factory=list)
    outage: int | None = None  # every push answers this status until recover()
    failed_in_outage: int = 0


class PushService:
    """A push service and its browsers on 127.0.0.1 and a free port; a context manager (start
    on entry, stop on exit). `application_server_key`: the VAPID public key (base64url) the
    browsers subscribe with; a push signed with another key is refused (403)."""

    def __init__(self, *, application_server_key: str | None = None) -> None:
        self.application_server_key = application_server_key
        self.messages: list[PushMessage] = []
        self.rejected: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._browsers: dict[str, _Browser] = {}
        self._faults = _Faults()
        self._changed = threading.Condition()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, extra = service._receive(self.path, headers, body)
                self.send_response(status)
                for name, value in extra:
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # --- Lifecycle ---

    def __enter__(self) -> PushService:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- What a test does ---

    def subscription(self) -> dict[str, Any]:
        """A new browser's subscription, as `PushSubscription.toJSON()` gives it."""
        private_key = ec.generate_private_key(ec.SECP256R1())
        auth_secret = os.urandom(16)
        endpoint = f"{self.origin}/push/{secrets.token_urlsafe(16)}"
        with self._changed:
            self._browsers[endpoint] = _Browser(private_key, auth_secret)
        public = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": _b64url(public), "auth": _b64url(auth_secret)},
        }

    def answer_gone(self, endpoint: str) -> None:
        """From now on `endpoint` answers 410 Gone (the browser unsubscribed)."""
        with self._changed:
            self._faults.gone.add(endpoint)

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        """The next `count` pushes (to any endpoint) answer `status` (500, 429...) unread."""
        with self._changed:
            self._faults.next_statuses.extend([status] * count)

    def fail_all(self, status: int = 500) -> None:
        """Every push (to any endpoint) answers `status` unread until recover()."""
        with self._changed:
            self._faults.outage = status
            self._faults.failed_in_outage = 0

    def recover(self) -> int:
        """End fail_all(); returns how many pushes it answered with its status."""
        with self._changed:
            self._faults.outage = None
            return self._faults.failed_in_outage

    def wait_for(self, count: int, timeout: float = 10.0) -> list[PushMessage]:
        """The accepted pushes once there are at least `count`; AssertionError after `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{len(self.messages)} of {count} pushes arrived; refused: {self.rejected}; "
                        f"requests: {[(r['endpoint'], r['status']) for r in self.requests]}"
                    )
                self._changed.wait(remaining)
            return list(self.messages)

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Every request once at least `count` arrived (accepted or not); AssertionError after `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(self.requests)} of {count} push requests arrived")
                self._changed.wait(remaining)
            return list(self.requests)

    def messages_for(self, endpoint: str) -> list[PushMessage]:
        with self._changed:
            return [message for message in self.messages if message.endpoint == endpoint]

    # --- The service's side ---

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[tuple[str, str]]]:
        endpoint = f"{self.origin}{path}"
        with self._changed:
            browser = self._browsers.get(endpoint)
            gone = endpoint in self._faults.gone
            injected = None
            if browser and not gone and self._faults.outage is not None:
                injected = self._faults.outage
                self._faults.failed_in_outage += 1
            elif browser and not gone and self._faults.next_statuses:
                injected = self._faults.next_statuses.pop(0)
        try:
            if browser is None:
                raise _Refused(404, "no such subscription")
            if gone:
                raise _Refused(410, "the subscription has expired or was unsubscribed")
            if injected is not None:
                raise _Refused(injected, "failure asked for by the test")
            message = self._accept(endpoint, browser, headers, body)
        except _Refused as refusal:
            with self._changed:
                self.requests.append({"endpoint": endpoint, "status": refusal.status, "headers": headers})
                if injected is None:
                    self.rejected.append({"endpoint": endpoint, "status": refusal.status, "reason": refusal.reason})
                self._changed.notify_all()
            return refusal.status, []
        with self._changed:
            self.messages.append(message)
            self.requests.append({"endpoint": endpoint, "status": 201, "headers": headers})
            self._changed.notify_all()
        return 201, [("Location", f"{self.origin}/message/{secrets.token_urlsafe(8)}")]

    def _accept(self, endpoint: str, browser: _Browser, headers: dict[str, str], body: bytes) -> PushMessage:
        claims, vapid_key = self._verify_vapid(headers.get("authorization", ""))
        ttl = headers.get("ttl", "")
        if not ttl.isdigit():
            raise _Refused(400, "a push needs a TTL header (RFC 8030 5.2)")
        topic = headers.get("topic")
        if topic is not None and not (0 < len(topic) <= 32 and _TOPIC_CHARS.issuperset(topic)):
            raise _Refused(400, f"Topic {topic!r} is not up to 32 URL-safe base64 characters")
        urgency = headers.get("urgency", "normal")
        if urgency not in _URGENCIES:
            raise _Refused(400, f"Urgency {urgency!r} is not one of {_URGENCIES}")
        if headers.get("content-encoding", "").lower() != "aes128gcm":
            raise _Refused(400, "the payload must be encrypted with Content-Encoding: aes128gcm")
        try:
            plaintext = http_ece.decrypt(
                body, private_key=browser.private_key, auth_secret=browser.auth_secret, version="aes128gcm"
            )
        except Exception as error:  # any failure to decrypt is the sender's
            raise _Refused(400, f"the payload does not decrypt: {error}") from None
        try:
            payload = json.loads(plaintext)
        except ValueError:
            payload = None
        return PushMessage(endpoint, headers, plaintext, payload, topic, int(ttl), urgency, claims, vapid_key)

    def _verify_vapid(self, authorization: str) -> tuple[dict[str, Any], str]:
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise _Refused(401, "no `Authorization: vapid t=...,k=...` header")
        parameters = {}
        for part in rest.split(","):
            name, _, value = part.strip().partition("=")
            parameters[name.strip().lower()] = value.strip()
        token, key = parameters.get("t"), parameters.get("k")
        if not token or not key:
            raise _Refused(401, "the vapid authorization lacks t= or k=")
        try:
            public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64url_decode(key))
        except ValueError:
            raise _Refused(401, "k is not a P-256 public key") from None
        try:
            claims = jwt.decode(
                token,
                public_key,
                algorithms=["ES256"],
                audience=self.origin,
                options={"require": ["exp", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as error:
            raise _Refused(401, f"the VAPID token is not valid: {error.__class__.__name__}: {error}") from None
        if claims["exp"] > time.time() + MAX_TOKEN_SECONDS + 60:
            raise _Refused(401, "the VAPID token is valid for more than 24 hours")
        if self.application_server_key is not None and key.rstrip("=") != self.application_server_key.rstrip("="):
            raise _Refused(403, "signed with another key than the one the browser subscribed with")
        return claims, key
