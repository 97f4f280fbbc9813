"""WebSocket authentication: who a socket speaks for, from an access JWT in the `token`
query parameter or, for the server-rendered pages, the browser's session cookie.

The middleware sets scope["user"], scope["auth_error"] (a budgetpay.websocket.AuthError)
and scope["recheck_credentials"], the check the socket base (budgetpay.websocket) runs
again periodically, so a socket outlives neither its token nor its session.
"""

import time
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken

from budgetpay.origin import SOCKET_ORIGIN_SCOPE_KEY, SocketOrigin
from budgetpay.websocket import AuthError
from users import tokens

User = get_user_model()


def _token_from_query(query_string: bytes) -> str | None:
    values = parse_qs(query_string.decode("latin-1")).get("token")
    if not values:
        return None
    token = values[0].strip()
    return token.removeprefix("Bearer ").strip() or None


def _session_hash_matches(user, session_hash: str | None) -> bool:
    """Django's session verification (current secret or a fallback), without its side
    effect: a socket never flushes or rewrites a session, so a handshake racing a
    password change cannot sign the page's tab out."""
    if not session_hash:
        return False
    if constant_time_compare(session_hash, user.get_session_auth_hash()):
        return True
    return any(constant_time_compare(session_hash, fallback) for fallback in user.get_session_auth_fallback_hash())


def session_user(session) -> tuple[Any, str | None]:
    """(user, None) when `session` holds a signed-in person whose password still matches
    it, else (None, the AuthError). Runs database queries: call it in a worker thread."""
    user_id = session.get(SESSION_KEY)
    if user_id is None or session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return None, AuthError.MISSING
    try:
        user = User._default_manager.filter(pk=User._meta.pk.to_python(user_id)).first()
    except ValidationError:
        return None, AuthError.MISSING
    if user is None or not _session_hash_matches(user, session.get(HASH_SESSION_KEY)):
        return None, AuthError.SIGNED_OUT
    if not user.is_active:
        return None, AuthError.INACTIVE
    return user, None


_TOKEN_REFUSALS = {
    tokens.USER_NOT_FOUND: AuthError.INVALID,
    tokens.USER_INACTIVE: AuthError.INACTIVE,
    tokens.PASSWORD_CHANGED: AuthError.REVOKED,
}


def token_user(token: AccessToken) -> tuple[Any, str | None]:
    """(user, None) when the token still speaks for its person (users.tokens.token_person,
    the REST authentication's check), else (None, the AuthError). Runs a database query."""
    user, refusal = tokens.token_person(token=token)
    return user, _TOKEN_REFUSALS[refusal] if refusal else None


def _session_store(session_key: str):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def _token_recheck(token: AccessToken):
    """The socket's later check of its token: the AuthError, or None while it holds."""

    def check(user) -> str | None:
        return token_user(token)[1]

    return check


def _session_recheck(session_key: str):
    """The socket's later check of its session: deleted (logout, expiry) or now holding
    someone else counts as signed out."""

    def check(user) -> str | None:
        current, error = session_user(_session_store(session_key))
        if error == AuthError.MISSING or (current is not None and current.pk != user.pk):
            return AuthError.SIGNED_OUT
        return error

    return check


class JWTAuthMiddleware(BaseMiddleware):
    """Sets scope["user"] from `?token=<access JWT>` (a `Bearer ` prefix is tolerated), or,
    without a token, from the session (channels' SessionMiddleware must run first);
    scope["auth_error"] when refused; scope["auth_token"] (the AccessToken) or
    scope["session_key"] so the socket can re-check what it signed in with; and
    scope["token_expires_at"] (epoch seconds) so it closes when the token runs out, and
    scope["recheck_credentials"], the check the socket runs again periodically.

    A page on a CORS origin (SameOriginWebSocketValidator marks it) is let in by its
    token only: the browser attaches our cookies whatever page opens the socket, so
    the session is never read for it."""

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        # Stamped before the credentials are read: a password change that commits while
        # they are being read is later than this, so its close message still reaches
        # the socket (stamped after the read, the socket would look newer than it).
        scope.update(
            user=AnonymousUser(),
            auth_error=None,
            token_expires_at=None,
            auth_token=None,
            session_key=None,
            recheck_credentials=None,
            authenticated_at=time.time(),
        )
        raw = _token_from_query(scope.get("query_string", b""))
        if raw is not None:
            await self._authenticate_token(scope, raw)
        elif scope.get(SOCKET_ORIGIN_SCOPE_KEY) == SocketOrigin.CORS:
            scope["auth_error"] = AuthError.CROSS_ORIGIN_SESSION
        elif scope.get("session") is not None:
            await self._authenticate_session(scope)
        else:
            scope["auth_error"] = AuthError.MISSING
        return await super().__call__(scope, receive, send)

    async def _authenticate_token(self, scope: dict, raw: str) -> None:
        try:
            token = AccessToken(raw)
        except ExpiredTokenError:
            scope["auth_error"] = AuthError.EXPIRED
            return
        except TokenError:
            scope["auth_error"] = AuthError.INVALID
            return
        user, error = await database_sync_to_async(token_user)(token)
        if error:
            scope["auth_error"] = error
            return
        scope.update(
            user=user, auth_token=token, token_expires_at=token["exp"], recheck_credentials=_token_recheck(token)
        )

    async def _authenticate_session(self, scope: dict) -> None:
        session = scope["session"]
        user, error = await database_sync_to_async(session_user)(session)
        if error:
            # A browser without a session gets the same answer as a client without a token.
            scope["auth_error"] = AuthError.MISSING if error == AuthError.SIGNED_OUT else error
            return
        scope.update(
            user=user, session_key=session.session_key, recheck_credentials=_session_recheck(session.session_key)
        )
