"""Whether a JWT still speaks for its person.

Access tokens carry simplejwt's revoke claim (a hash of the password hash at the time
they were issued, `SIMPLE_JWT["CHECK_REVOKE_TOKEN"]`), so a password change makes every
token issued before it fail here, in REST authentication and the socket middleware alike.
"""

from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password


def token_matches_credentials(*, token: Token, user) -> bool:
    """False when the person's password changed after `token` was issued."""
    if not api_settings.CHECK_REVOKE_TOKEN:
        return True
    return token.get(api_settings.REVOKE_TOKEN_CLAIM) == get_md5_hash_password(user.password)
