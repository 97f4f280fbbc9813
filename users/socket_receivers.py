"""Receivers that close a person's open sockets when what they signed in with ends.

Each forwards to budgetpay.websocket's close_*_sockets(), which reach every process
through channel-layer groups; the sockets' periodic re-check is the backstop when
a message is lost. Connected in UsersConfig.ready().
"""

from django.db import transaction

from budgetpay.websocket import (
    AUTH_CLOSE,
    CREDENTIALS_CHANGED_CLOSE,
    AuthError,
    close_session_sockets,
    close_user_sockets,
)


def close_sockets_on_logout(sender, request, user, **kwargs) -> None:
    """Logout ends the session: its sockets close with 4001 (the session key is still
    set here; Django flushes the session after sending user_logged_out)."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        code, reason = AUTH_CLOSE[AuthError.SIGNED_OUT]
        close_session_sockets(session_key=session_key, code=code, reason=reason)


def close_sockets_on_credentials_changed(sender, user, changed_at, **kwargs) -> None:
    """Sent after the commit: every socket authenticated before the change closes with
    4005 and reconnects; a session kept valid by update_session_auth_hash (the tab that
    changed it) gets back in, an old access token gets 4001."""
    code, reason = CREDENTIALS_CHANGED_CLOSE
    close_user_sockets(user_id=user.pk, code=code, reason=reason, authenticated_before=changed_at.timestamp())


def close_sockets_on_deactivation(sender, instance, created, **kwargs) -> None:
    if created or instance.is_active:
        return
    code, reason = AUTH_CLOSE[AuthError.INACTIVE]
    transaction.on_commit(lambda: close_user_sockets(user_id=instance.pk, code=code, reason=reason))


def close_sockets_on_delete(sender, instance, **kwargs) -> None:
    code, reason = AUTH_CLOSE[AuthError.SIGNED_OUT]
    user_id = instance.pk
    transaction.on_commit(lambda: close_user_sockets(user_id=user_id, code=code, reason=reason))
