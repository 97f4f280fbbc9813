"""WebSocket authentication: an access JWT in the `token` query parameter, or,
for the server-rendered pages, the browser's session cookie."""

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
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
