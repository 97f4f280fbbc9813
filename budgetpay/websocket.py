"""The base every Budget Pay socket shares: authenticated JSON sockets that close themselves.

A socket is authenticated before it reaches a consumer (users.socket_auth sets scope["user"],
scope["auth_error"] and a re-check). It stays open only as long as what it signed in with:
logout closes the session's sockets, a password change closes every socket authenticated
before it, deactivation closes all of the person's sockets, on every process (through
channel-layer groups), and each socket re-checks its credentials periodically as a backstop.
The close codes are documented in docs/websocket.md.
"""

import asyncio
import json
import logging
import random
import time
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.utils.crypto import salted_hmac

from budgetpay.socket_limits import recheck_seconds, socket_registry
from budgetpay.sockets import accept_then_close

logger = logging.getLogger(__name__)

# How long a channel-layer call (Redis) may take before the socket gives up on it.
LAYER_TIMEOUT_SECONDS = 5


class AuthError:
    """Why a socket's credentials were refused; the consumer turns it into a close code."""

    MISSING = "missing"
    INVALID = "invalid"
    EXPIRED = "expired"
    INACTIVE = "inactive"
    REVOKED = "revoked"  # an access token issued before the person's last password change
    SIGNED_OUT = "signed_out"  # the session ended (logout, expiry) or no longer matches the password
    CROSS_ORIGIN_SESSION = "cross_origin_session"  # a CORS origin's page without a token: its cookie is not used


class CloseCode:
    """Application close codes (4000-4999), documented in docs/websocket.md. On 4001 and
    4003 a client must not retry with the same credentials; on 4002 it refreshes its
    token and reconnects; on 4005 it reconnects (with a token issued after the password
    change); on 4008 it stays closed; on 4013 it reconnects with backoff."""

    AUTHENTICATION_FAILED = 4001
    TOKEN_EXPIRED = 4002
    FORBIDDEN = 4003
    CREDENTIALS_CHANGED = 4005
    TOO_MANY_SOCKETS = 4008
    TRY_AGAIN_LATER = 4013  # the channel layer (Redis) is unreachable; Daphne cannot send 1013


AUTH_CLOSE = {
    AuthError.MISSING: (CloseCode.AUTHENTICATION_FAILED, "authentication required: pass ?token=<access JWT>"),
    AuthError.INVALID: (CloseCode.AUTHENTICATION_FAILED, "invalid token: sign in again"),
    AuthError.EXPIRED: (CloseCode.TOKEN_EXPIRED, "token expired: refresh it and reconnect"),
    AuthError.INACTIVE: (CloseCode.FORBIDDEN, "account disabled"),
    AuthError.REVOKED: (CloseCode.AUTHENTICATION_FAILED, "token revoked by a password change: sign in again"),
    AuthError.SIGNED_OUT: (CloseCode.AUTHENTICATION_FAILED, "signed out: sign in again"),
    AuthError.CROSS_ORIGIN_SESSION: (
        CloseCode.AUTHENTICATION_FAILED,
        "authentication required: a page on another origin passes ?token=<access JWT>; cookies are not used",
    ),
}
CREDENTIALS_CHANGED_CLOSE = (CloseCode.CREDENTIALS_CHANGED, "password changed: reconnect")
TOO_MANY_SOCKETS_CLOSE = (CloseCode.TOO_MANY_SOCKETS, "too many sockets: closed the oldest")
UNAVAILABLE_CLOSE = (CloseCode.TRY_AGAIN_LATER, "service unavailable: reconnect with backoff")

# The values of an opt-in query flag (`?unread_count=1`); absent means off.
FLAG_ON = frozenset({"1", "true", "yes", "on"})
FLAG_OFF = frozenset({"", "0", "false", "no", "off"})


# --- socket control: closing sockets from anywhere ------------------------------------


def socket_control_group(user_id: int) -> str:
    """The group every socket of one person joins to be told to close. It carries
    only control messages, never notifications (those have their own group)."""
    return f"sockets.user.{user_id}"


def session_socket_group(session_key: str) -> str:
    """The group of the sockets opened with one browser session. Named by a keyed hash
    of the session key: group names travel through Redis, the key must not."""
    digest = salted_hmac("users.websocket.session-group", session_key, algorithm="sha256").hexdigest()
    return f"sockets.session.{digest}"


def _revoke_message(code: int, reason: str, authenticated_before: float | None = None) -> dict:
    return {"type": "socket.revoke", "code": code, "reason": reason, "authenticated_before": authenticated_before}


def _send_to_group(group: str, message: dict) -> None:
    """Best effort: when the channel layer is down the periodic re-check closes the
    sockets instead, so a failure is logged and never fails the caller (a logout)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.warning(
            "socket control message to %s failed; the periodic re-check will close the sockets", group, exc_info=True
        )


def close_user_sockets(*, user_id: int, code: int, reason: str, authenticated_before: float | None = None) -> None:
    """Close every socket of the person, or only those authenticated before
    `authenticated_before` (epoch seconds), on every process."""
    _send_to_group(socket_control_group(user_id), _revoke_message(code, reason, authenticated_before))


def close_session_sockets(*, session_key: str, code: int, reason: str) -> None:
    """Close the sockets opened with one browser session, on every process."""
    _send_to_group(session_socket_group(session_key), _revoke_message(code, reason))


# --- the consumer base -------------------------------------------------------------


class AuthenticatedJsonConsumer(AsyncWebsocketConsumer):
    """What every Budget Pay socket shares: authentication answered with a close
    code; a close with 4002 when the token runs out; the socket-control groups and
    the periodic re-check that end it when its credentials do; the cap on sockets per
    person; 4013 when the channel layer is down; and JSON frames checked before they
    reach a handler (errors are frames; the socket stays open).

    Subclasses name their client message types in `handlers` (type → method
    name) and do their own setup in `on_authenticated()`.

    The frames a client receives without asking are the socket's core kinds and the
    replies to what it sent (errors, pong). Every other kind is opt-in: a subclass
    names it in `opt_in_frames` (frame type → the query flag that turns it on,
    `?<flag>=1`), and `send_json` drops it for a client that did not ask. A client
    written against the plain protocol (the seed's example handles every frame as a
    notification) then never meets a frame it does not know, whatever kinds are
    added later.
    """

    handlers: dict[str, str] = {}
    opt_in_frames: dict[str, str] = {}
    opted_in: frozenset[str] = frozenset()
    max_frame_bytes = 16 * 1024
    user = None
    channel_name: str | None = None
    ended = False
    expiry_task: asyncio.Task | None = None
    recheck_task: asyncio.Task | None = None

    async def __call__(self, scope, receive, send):
        self.control_groups: list[str] = []
        self.registered_user_id: int | None = None
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            if self.channel_name is not None:
                raise
            # The channel layer could not even give this socket a channel (the pub/sub
            # layer subscribes to Redis for it before the handshake): answer with the
            # documented close code instead of letting Daphne refuse with HTTP 500.
            logger.warning("no channel for a new socket, closing it with 4013: %r", exc)
            await accept_then_close(receive, send, *UNAVAILABLE_CLOSE)

    async def dispatch(self, message: dict) -> None:
        # Once the server has ended a socket, nothing more reaches its handlers: no
        # client frame (mark_all_read after logout) and no group message (notifications).
        if self.ended and message["type"] != "websocket.disconnect":
            return
        await super().dispatch(message)

    async def connect(self) -> None:
        # Accept first, then close with a code: a browser sees 1006 for a refused
        # handshake and cannot tell "retry" from "sign in again".
        await self.accept()
        auth_error = self.scope.get("auth_error")
        if auth_error:
            await self.end(*AUTH_CLOSE[auth_error])
            return
        user = self.scope["user"]
        self.authenticated_at = self.scope.get("authenticated_at") or time.time()
        if not await self._join_socket_control(user.pk):
            await self.end(*UNAVAILABLE_CLOSE)
            return
        self.user = user
        # A password change that committed between reading the credentials and joining
        # the control groups sent its close message to no one: check once more, now
        # that the socket listens (a change after this point reaches it as a message).
        verdict = await database_sync_to_async(self._credentials_verdict)()
        if verdict is not None:
            await self.end(*verdict)
            return
        expires_at = self.scope.get("token_expires_at")
        if expires_at:
            self.expiry_task = asyncio.ensure_future(self._close_when_token_expires(expires_at))
        self.recheck_task = asyncio.ensure_future(self._recheck_periodically())
        await self._read_opt_in_flags()
        await self.on_authenticated()

    async def on_authenticated(self) -> None:
        """Called once the socket is open and `self.user` is set."""

    async def _read_opt_in_flags(self) -> None:
        """Set `opted_in` from the query flags; a flag that is neither on nor off is
        answered with an error frame and leaves its frames off."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        opted_in = set()
        for kind, flag in self.opt_in_frames.items():
            value = (query.get(flag) or [""])[0].strip().lower()
            if value in FLAG_ON:
                opted_in.add(kind)
            elif value not in FLAG_OFF:
                await self.send_error("invalid_flag", f"{flag} must be 1 or 0; {kind} frames stay off.")
        self.opted_in = frozenset(opted_in)

    def wants(self, kind: str) -> bool:
        """Whether this client receives frames of `kind` (always, unless it is opt-in)."""
        return kind not in self.opt_in_frames or kind in self.opted_in

    async def end(self, code: int, reason: str) -> None:
        """Close the socket from the server side; nothing more is handled after this."""
        if self.ended:
            return
        self.ended = True
        await self.close(code=code, reason=reason)

    async def _join_socket_control(self, user_id: int) -> bool:
        groups = [socket_control_group(user_id)]
        if self.scope.get("session_key"):
            groups.append(session_socket_group(self.scope["session_key"]))
        try:
            async with asyncio.timeout(LAYER_TIMEOUT_SECONDS):
                for group in groups:
                    await self.channel_layer.group_add(group, self.channel_name)
                    self.control_groups.append(group)
                evicted = await socket_registry().add(user_id=user_id, channel_name=self.channel_name)
                self.registered_user_id = user_id
                for channel_name in evicted:
                    # Kinder to many tabs than refusing the new one: the socket left
                    # open longest (a forgotten tab) goes, on whichever process holds it.
                    await self.channel_layer.send(channel_name, _revoke_message(*TOO_MANY_SOCKETS_CLOSE))
        except Exception:
            logger.warning("the channel layer is unreachable; closing a new socket with 4013", exc_info=True)
            return False
        return True

    async def _leave_socket_control(self) -> None:
        try:
            async with asyncio.timeout(LAYER_TIMEOUT_SECONDS):
                for group in self.control_groups:
                    await self.channel_layer.group_discard(group, self.channel_name)
                if self.registered_user_id is not None:
                    await socket_registry().remove(user_id=self.registered_user_id, channel_name=self.channel_name)
        except Exception:
            # The count's entry goes stale and is dropped on its own.
            logger.warning("leaving the socket-control groups failed", exc_info=True)
        self.control_groups = []
        self.registered_user_id = None

    async def socket_revoke(self, event: dict) -> None:
        """A control message: close, unless it only concerns sockets authenticated
        before a moment this one is not older than (a password change)."""
        before = event.get("authenticated_before")
        if before is not None and self.authenticated_at >= before:
            return
        await self.end(event["code"], event["reason"])

    async def _close_when_token_expires(self, expires_at: int) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self.end(*AUTH_CLOSE[AuthError.EXPIRED])

    async def _recheck_periodically(self) -> None:
        """The backstop for a control message that never arrived (Redis was down, a
        process died): every interval the socket checks its credentials again and
        refreshes its entry in the count of the person's sockets."""
        interval = recheck_seconds()
        # Spread the checks of sockets opened together (a restart reconnects them all).
        await asyncio.sleep(interval * random.uniform(0.5, 1.0))
        while not self.ended:
            try:
                verdict = await database_sync_to_async(self._credentials_verdict)()
                if verdict is not None:
                    await self.end(*verdict)
                    return
                await socket_registry().refresh(user_id=self.registered_user_id, channel_name=self.channel_name)
            except Exception:
                logger.warning("re-checking a socket failed; trying again at the next interval", exc_info=True)
            await asyncio.sleep(interval)

    def _credentials_verdict(self) -> tuple[int, str] | None:
        """None while what the socket signed in with still holds, else its close. The
        authentication middleware leaves the check in scope["recheck_credentials"]
        (users.socket_auth), so this base knows no more of tokens and sessions than that."""
        check = self.scope.get("recheck_credentials")
        error = check(self.user) if check is not None else AuthError.MISSING
        return AUTH_CLOSE[error] if error else None

    async def disconnect(self, code: int) -> None:
        self.ended = True
        for task in (self.expiry_task, self.recheck_task):
            if task:
                task.cancel()
        await self._leave_socket_control()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.user is None:
            return
        if bytes_data is not None:
            await self.send_error("binary_not_supported", "Send JSON text frames.")
            return
        if len(text_data.encode()) > self.max_frame_bytes:
            await self.send_error("frame_too_large", f"Frames are limited to {self.max_frame_bytes} bytes.")
            return
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.send_error("invalid_json", "Frames must be JSON objects.")
            return
        if not isinstance(frame, dict):
            await self.send_error("invalid_message", 'Frames must be JSON objects like {"type": "ping"}.')
            return
        handler = self.handlers.get(frame.get("type"))
        if handler is None:
            await self.send_error("unknown_type", f"Known types: {', '.join(self.handlers)}.")
            return
        await getattr(self, handler)(frame)

    async def on_ping(self, frame: dict) -> None:
        await self.send_json({"type": "pong"})

    async def send_error(self, error: str, message: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "error": error, "message": message, **extra})

    async def send_json(self, content: dict) -> None:
        if not self.wants(content.get("type")):
            return  # an opt-in kind this client did not ask for
        await self.send(text_data=json.dumps(content, separators=(",", ":"), default=str))
