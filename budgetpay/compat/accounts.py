"""The original's email verification and password reset, done by allauth, which does both for
Budget Pay's own pages: the same emails, links, keys, expiry and rate limits.

The emails link to Budget Pay's pages (allauth's), where a person finishes either flow in the
browser. The key at the end of such a link is also what the original client's own pages send
as `token` (`auth/verify`, `auth/reset-password`), so both ways work.

Refusals carry fastapi-users' codes, which the original answered: VERIFY_USER_BAD_TOKEN,
RESET_PASSWORD_BAD_TOKEN, and RESET_PASSWORD_INVALID_PASSWORD with the reason.
"""

from typing import Any

from allauth.account import signals as allauth_signals
from allauth.account.forms import ResetPasswordForm, ResetPasswordKeyForm, UserTokenForm
from allauth.account.models import EmailAddress, get_emailconfirmation_model
from allauth.core import ratelimit
from django.http import HttpRequest

from users.models import User


class Refused(Exception):
    """The flow cannot go on; `detail` is the original API's answer (a code, or an object)."""

    def __init__(self, detail: Any) -> None:
        super().__init__(str(detail))
        self.detail = detail


def send_verification(request: HttpRequest, *, email: str, signup: bool = False) -> None:
    """Email a verification link to this address when it belongs to an active person and is
    not verified yet, at most as often as allauth's `confirm_email` rate allows; otherwise
    nothing, and nothing tells the caller which (no one learns who has an account). A person
    made without allauth (the admin, manage.py) gets the address row allauth keeps, as
    allauth's own pages would give them."""
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None:
        address, _ = EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"primary": True, "verified": False}
        )
    if address.verified or not ratelimit.consume(request, action="confirm_email", key=address.email.lower()):
        return
    address.send_confirmation(request, signup=signup)


def verify(request: HttpRequest, *, key: str) -> User:
    """Mark the address a verification key was sent to as verified; returns its person."""
    confirmation = get_emailconfirmation_model().from_key(key)
    if confirmation is None or not confirmation.email_address.user.is_active:
        raise Refused("VERIFY_USER_BAD_TOKEN")  # unknown, expired or already used
    address = confirmation.confirm(request)
    if address is None:
        raise Refused("VERIFY_USER_BAD_TOKEN")
    return address.user


def send_password_reset(request: HttpRequest, *, email: str) -> None:
    """Email a password reset link to the account with this address (allauth tells an
    address without one that there is none), as often as the `reset_password` rate allows."""
    form = ResetPasswordForm(data={"email": email})
    if form.is_valid() and ratelimit.consume(request, action="reset_password", key=email.lower()):
        form.save(request)


def reset_password(request: HttpRequest, *, key: str, password: str) -> User:
    """Set a new password with the key from a reset link ("<uidb36>-<key>"). The password
    change revokes every token the person holds (User.save); the link is used up with it."""
    uidb36, _, temp_key = key.partition("-")
    token_form = UserTokenForm(data={"uidb36": uidb36, "key": temp_key})
    if not token_form.is_valid() or not token_form.reset_user.is_active:
        raise Refused("RESET_PASSWORD_BAD_TOKEN")
    user = token_form.reset_user
    form = ResetPasswordKeyForm(data={"password1": password, "password2": password}, user=user, temp_key=temp_key)
    if not form.is_valid():
        reason = " ".join(message for messages in form.errors.values() for message in messages)
        raise Refused({"code": "RESET_PASSWORD_INVALID_PASSWORD", "reason": reason})
    form.save()
    allauth_signals.password_reset.send(sender=User, request=request, user=user)
    return user
