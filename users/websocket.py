"""WebSocket authentication: an access JWT in the `token` query parameter, or,
for the server-rendered pages, the browser's session cookie."""

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

User = get_user_model()


class AuthError:
    """Why a socket's credentials were refused; the consumer turns it into a close code."""

    MISSING = "missing"
    INVALID = "invalid"
    EXPIRED = "expired"
    INACTIVE = "inactive"


def _token_from_query(query_string: bytes) -> str | None:
    values = parse_qs(query_string.decode("latin-1")).get("token")
    if not values:
        return None
    token = values[0].strip()
    return token.removeprefix("Bearer ").strip() or None


@database_sync_to_async
def _active_user(user_id: Any):
    return User.objects.filter(pk=user_id).first()


class JWTAuthMiddleware(BaseMiddleware):
    """Sets scope["user"] from `?token=<access JWT>` (a `Bearer ` prefix is tolerated),
    scope["auth_error"] when it is refused, and scope["token_expires_at"] (epoch seconds)
    so the consumer can close the socket when the token runs out. Without a token the
    session user set by AuthMiddlewareStack stands."""

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        scope["auth_error"] = None
        scope["token_expires_at"] = None
        raw = _token_from_query(scope.get("query_string", b""))
        if raw is not None:
            scope["user"], scope["auth_error"], scope["token_expires_at"] = await self._authenticate(raw)
        elif not getattr(scope.get("user"), "is_authenticated", False):
            scope["auth_error"] = AuthError.MISSING
        elif not scope["user"].is_active:
            scope["auth_error"] = AuthError.INACTIVE
        return await super().__call__(scope, receive, send)

    async def _authenticate(self, raw: str):
        try:
            token = AccessToken(raw)
        except ExpiredTokenError:
            return AnonymousUser(), AuthError.EXPIRED, None
        except TokenError:
            return AnonymousUser(), AuthError.INVALID, None
        user = await _active_user(token.get(api_settings.USER_ID_CLAIM))
        if user is None:
            return AnonymousUser(), AuthError.INVALID, None
        if not user.is_active:
            return AnonymousUser(), AuthError.INACTIVE, None
        return user, None, token["exp"]


class BrowserOriginValidator(OriginValidator):
    """Refuse a socket whose Origin header names a host outside ALLOWED_HOSTS, so a
    page on another site cannot open one with the user's session cookie.

    A connection without an Origin header comes from a non-browser client (a mobile
    app, a script): browsers always send one. It carries no ambient cookie worth
    stealing and must authenticate with its token, so it is let through.
    """

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return True
        return self.validate_origin(parsed_origin)


def allowed_hosts_origin_validator(application):
    return BrowserOriginValidator(application, settings.ALLOWED_HOSTS)


class CloseCode:
    """Application close codes (4000-4999). On 4001 and 4003 a client must not
    retry with the same credentials; on 4002 it refreshes its token and reconnects."""

    AUTHENTICATION_FAILED = 4001
    TOKEN_EXPIRED = 4002
    FORBIDDEN = 4003


AUTH_CLOSE = {
    AuthError.MISSING: (CloseCode.AUTHENTICATION_FAILED, "authentication required: pass ?token=<access JWT>"),
    AuthError.INVALID: (CloseCode.AUTHENTICATION_FAILED, "invalid token: sign in again"),
    AuthError.EXPIRED: (CloseCode.TOKEN_EXPIRED, "token expired: refresh it and reconnect"),
    AuthError.INACTIVE: (CloseCode.FORBIDDEN, "account disabled"),
}


class AuthenticatedJsonConsumer(AsyncWebsocketConsumer):
    """What every Budget Pay socket shares: authentication answered with a close
    code, a close with 4002 when the token runs out, and JSON frames checked
    before they reach a handler (errors are frames; the socket stays open).

    Subclasses name their client message types in `handlers` (type → method
    name) and do their own setup in `on_authenticated()`.
    """

    handlers: dict[str, str] = {}
    max_frame_bytes = 16 * 1024
    user = None
    expiry_task: asyncio.Task | None = None

    async def connect(self) -> None:
        # Accept first, then close with a code: a browser sees 1006 for a refused
        # handshake and cannot tell "retry" from "sign in again".
        await self.accept()
        auth_error = self.scope.get("auth_error")
        if auth_error:
            code, reason = AUTH_CLOSE[auth_error]
            await self.close(code=code, reason=reason)
            return
        self.user = self.scope["user"]
        expires_at = self.scope.get("token_expires_at")
        if expires_at:
            self.expiry_task = asyncio.ensure_future(self._close_when_token_expires(expires_at))
        await self.on_authenticated()

    async def on_authenticated(self) -> None:
        """Called once the socket is open and `self.user` is set."""

    async def _close_when_token_expires(self, expires_at: int) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        code, reason = AUTH_CLOSE[AuthError.EXPIRED]
        await self.close(code=code, reason=reason)

    async def disconnect(self, code: int) -> None:
        if self.expiry_task:
            self.expiry_task.cancel()

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
        await self.send(text_data=json.dumps(content, separators=(",", ":"), default=str))
