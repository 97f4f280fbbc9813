"""The API's JWT authentication: simplejwt's, refusing a token that no longer speaks for
its person with a 401 a client can act on (`code` says which case)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from users.models import User
from users.tokens import token_matches_credentials


class JWTAuthentication(authentication.JWTAuthentication):
    """Bearer access tokens. The same checks as the socket middleware (users.tokens):
    the person exists, is active, and has not changed the password since the token."""

    def get_user(self, validated_token: Token) -> User:
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        user = User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first() if user_id is not None else None
        if user is None:
            raise AuthenticationFailed("The account this token belongs to no longer exists.", code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed("This account is disabled.", code="user_inactive")
        if not token_matches_credentials(token=validated_token, user=user):
            raise AuthenticationFailed(
                "The password was changed after this token was issued; sign in again.", code="password_changed"
            )
        return user


class JWTScheme(SimpleJWTScheme):
    """The API schema describes it as simplejwt's own (`jwtAuth`, a Bearer JWT)."""

    target_class = JWTAuthentication
