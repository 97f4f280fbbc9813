"""The API's JWT authentication: simplejwt's, refusing a token that no longer speaks for
its person with a 401 a client can act on (`code` says which case)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.tokens import Token

from users import tokens
from users.models import User


class JWTAuthentication(authentication.JWTAuthentication):
    """Bearer access tokens. The same checks as the socket middleware (users.tokens):
    the person exists, is active, and has not changed the password since the token."""

    refusals = {
        tokens.USER_NOT_FOUND: "The account this token belongs to no longer exists.",
        tokens.USER_INACTIVE: "This account is disabled.",
        tokens.PASSWORD_CHANGED: "The password was changed after this token was issued; sign in again.",
    }

    def get_user(self, validated_token: Token) -> User:
        user, refusal = tokens.token_person(token=validated_token)
        if refusal:
            raise AuthenticationFailed(self.refusals[refusal], code=refusal)
        return user


class JWTScheme(SimpleJWTScheme):
    """The API schema describes it as simplejwt's own (`jwtAuth`, a Bearer JWT)."""

    target_class = JWTAuthentication
