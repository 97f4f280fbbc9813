"""A mail server on 127.0.0.1 for tests (aiosmtpd): it speaks SMTP as a real one does and keeps
each message it accepts, parsed, with the envelope it came in. Django's SMTP backend (or a
sender in another process: Daphne, a Celery worker) reaches it at `host`:`port`.

    with SMTPServer() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
        ...
        [message] = smtp.messages

A test can make the server refuse the next recipients for good (550) or for now (451).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class ReceivedMail:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage  # parsed with the modern policy: message["List-Unsubscribe"], get_body()...
    raw: bytes
    peer: tuple = ()  # the sending connection's (host, port): two messages over one connection share it

    def part(self, content_type: str) -> str:
        """The text of the message's part of this type ("text/plain", "text/html")."""
        body = self.message.get_body(preferencelist=(content_type.split("/", 1)[1],))
        if body is None or body.get_content_type() != content_type:
            raise AssertionError(f"the message has no {content_type} part")
        return body.get_content()


class _Handler:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list):
        refusal = self.server._take_refusal()
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        self.server._keep(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), parsed, raw, tuple(session.peer)))
        return "250 Message accepted for delivery"


class SMTPServer:
    """The server, started on a free port of 127.0.0.1; a context manager that stops it."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self._lock = threading.Lock()
        self._messages: list[ReceivedMail] = []
        self._refusals: list[str] = []
        self._controller: Controller | None = None
        self.port = 0

    def start(self) -> SMTPServer:
        # The controller connects to its own port to see it started, so it needs the port up
        # front (not 0): a free one, asked for again should another process take it meanwhile.
        for _ in range(5):
            self.port = _free_port(self.host)
            controller = Controller(_Handler(self), hostname=self.host, port=self.port)
            try:
                controller.start()
            except (OSError, RuntimeError):
                continue
            self._controller = controller
            return self
        raise RuntimeError("no free port for the SMTP stand-in")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def restart(self) -> None:
        """Stop (the open connections drop) and listen again on the same port."""
        self.stop()
        controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._messages)

    def refuse_next(self, answer: str = "550 5.1.1 No such mailbox", times: int = 1) -> None:
        """Answer the next `times` RCPT commands with `answer` (a 5xx refuses for good, 4xx for now)."""
        with self._lock:
            self._refusals += [answer] * times

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """The messages once there are at least `count` (senders in other processes); the
        messages so far when `timeout` passes first."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    def _keep(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._messages.append(mail)

    def _take_refusal(self) -> str | None:
        with self._lock:
            return self._refusals.pop(0) if self._refusals else None
