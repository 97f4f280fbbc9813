"""The original client's access tokens: one bearer JWT per sign-in, ended by signing out.

The client signs in with a form and keeps one `access_token` until it signs out; it never
refreshes. Its tokens are simplejwt tokens of their own type, "compat_access":

- They open the compatibility API only. Our REST API and sockets accept "access" tokens
  alone, so a longer COMPAT_ACCESS_TOKEN_MINUTES never lengthens what a token opens there.
- Each is recorded when issued (an OutstandingToken, as refresh tokens are) and checked
  against the blacklist on every request, so signing out ends it at once; so do revoking
  "all tokens" on the API access page, a password change (every outstanding token is
  blacklisted, and the token's revoke claim no longer matches), deactivation and deletion.
- What cannot be revoked: a copy of the token is the token, so whoever holds one can use it
  until one of the above happens or it expires. The client keeps it in localStorage.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.http import HttpRequest
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import BlacklistMixin, Token

from users.authentication import JWTAuthentication
from users.models import User


class TokenRevoked(TokenError):
    """The token was signed out (blacklisted)."""


class CompatAccessToken(BlacklistMixin["CompatAccessToken"], Token):
    token_type = "compat_access"

    @property
    def lifetime(self) -> timedelta:  # read when a token is made, so tests may change it
        return timedelta(minutes=settings.COMPAT_ACCESS_TOKEN_MINUTES)

    def check_blacklist(self) -> None:
        self.verify_token_type()  # another type (a refresh token) is invalid here, listed or not
        try:
            super().check_blacklist()
        except TokenError as exc:
            raise TokenRevoked("This token was signed out; sign in again.") from exc


class CompatJWTAuthentication(JWTAuthentication):
    """Bearer compat tokens only, with our checks of the person (users.tokens): they exist,
    are active, and have not changed the password since the token was issued."""

    def authenticate_header(self, request) -> str:
        return "Bearer"  # what FastAPI's HTTPBearer answers

    def get_validated_token(self, raw_token: bytes) -> CompatAccessToken:
        try:
            return CompatAccessToken(raw_token)
        except ExpiredTokenError as exc:
            raise AuthenticationFailed("Token has expired", code="token_expired") from exc
        except TokenRevoked as exc:
            raise AuthenticationFailed(str(exc), code="token_revoked") from exc
        except TokenError as exc:
            raise AuthenticationFailed("Invalid token", code="token_not_valid") from exc


def sign_in(request: HttpRequest, *, email: str, password: str) -> str | None:
    """A new access token for the person with this email and password, or None (wrong
    credentials, or the account is disabled). Sign-in as our own token endpoint does it:
    Django's authentication backends, then the last-login stamp."""
    user = authenticate(request, email=email, password=password)
    if not isinstance(user, User) or not user.is_active:
        return None
    update_last_login(None, user)
    return str(CompatAccessToken.for_user(user))


def sign_out(raw_token: str) -> bool:
    """End a compat token; False when it is not one (then there is nothing to end)."""
    try:
        token = CompatAccessToken(raw_token)
    except TokenError:
        return False
    token.blacklist()
    return True
