"""Whether a JWT still speaks for its person.

Access tokens carry simplejwt's revoke claim (a hash of the password hash at the time
they were issued, `SIMPLE_JWT["CHECK_REVOKE_TOKEN"]`), so a password change makes every
token issued before it fail here, in REST authentication and the socket middleware alike.
"""

from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from users.models import User


def token_matches_credentials(*, token: Token, user) -> bool:
    """False when the person's password changed after `token` was issued."""
    if not api_settings.CHECK_REVOKE_TOKEN:
        return True
    return token.get(api_settings.REVOKE_TOKEN_CLAIM) == get_md5_hash_password(user.password)


# Why a token no longer speaks for anyone (token_person's second value).
USER_NOT_FOUND = "user_not_found"
USER_INACTIVE = "user_inactive"
PASSWORD_CHANGED = "password_changed"


def token_person(*, token: Token):
    """(user, None) when the token's person exists, is active and has not changed the
    password since it was issued; else (None, USER_NOT_FOUND | USER_INACTIVE |
    PASSWORD_CHANGED). One query. The REST authentication and the socket middleware
    both decide with it."""
    user_id = token.get(api_settings.USER_ID_CLAIM)
    user = (
        User._default_manager.filter(**{api_settings.USER_ID_FIELD: user_id}).first() if user_id is not None else None
    )
    if user is None:
        return None, USER_NOT_FOUND
    if not user.is_active:
        return None, USER_INACTIVE
    if not token_matches_credentials(token=token, user=user):
        return None, PASSWORD_CHANGED
    return user, None
