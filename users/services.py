"""Writes on users and their credentials. Each runs in one database transaction."""

from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialApp, SocialToken
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from users.models import User, UserManager

EMAIL_TAKEN = "A user with this email address already exists."


def _validate_password(password: str, user: User, *, field: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def tokens_for_user(*, user: User) -> dict[str, str]:
    """A fresh access/refresh pair for `user`; the refresh token is recorded for blacklisting."""
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    full_name: str = "",
    currency: str = "USD",
    timezone: str = "UTC",
    monthly_income: Decimal = Decimal("0"),
) -> User:
    """Create a person's account. The email is their login, unique ignoring case."""
    email = UserManager.normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": [EMAIL_TAKEN]})
    user = User(email=email, full_name=full_name, currency=currency, timezone=timezone, monthly_income=monthly_income)
    _validate_password(password, user, field="password")
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise ValidationError({"email": [EMAIL_TAKEN]}) from exc
    # allauth's account pages manage addresses through EmailAddress rows.
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    return user


@transaction.atomic
def user_update(*, user: User, **fields: object) -> User:
    """Change profile fields. Only fields a person may change reach here."""
    for name, value in fields.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=[*fields.keys()])
    return user


def _blacklist_outstanding_refresh_tokens(user: User) -> int:
    outstanding = list(OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False))
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(outstanding)


@transaction.atomic
def user_revoke_refresh_tokens(*, user: User) -> int:
    """Revoke every refresh token the user holds (scripts, apps); returns how many.
    Access tokens already issued run out on their own within minutes."""
    return _blacklist_outstanding_refresh_tokens(user)


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str) -> dict[str, str]:
    """Set a new password, revoke every refresh token issued so far, return a new pair."""
    if user.has_usable_password() and not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is not correct."]})
    _validate_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _blacklist_outstanding_refresh_tokens(user)
    return tokens_for_user(user=user)


@transaction.atomic
def user_delete(*, user: User, password: str | None) -> None:
    """Delete the account and, through cascades, everything it owns."""
    if user.has_usable_password() and not user.check_password(password or ""):
        raise ValidationError({"password": ["Confirm with your current password to delete the account."]})
    _blacklist_outstanding_refresh_tokens(user)
    user.delete()


class SocialTokenRejected(Exception):
    """The provider's token could not be verified; the message says why."""


SOCIAL_TOKEN_KEYS = {"google": "id_token", "github": "access_token"}


@transaction.atomic
def social_token_login(*, request: HttpRequest, provider_id: str, token: str) -> User:
    """Exchange a token a client got from Google (ID token) or GitHub (access token)
    for a Budget Pay user: the linked one, the one with the same verified email, or a new one."""
    adapter = get_social_adapter()
    try:
        provider = adapter.get_provider(request, provider_id)
    except SocialApp.DoesNotExist as exc:
        raise SocialTokenRejected(f"Sign-in with {provider_id} is not configured on this server.") from exc
    try:
        if provider_id == "github":
            sociallogin = _github_login_from_access_token(request, provider, token)
        else:
            sociallogin = provider.verify_token(request, {SOCIAL_TOKEN_KEYS[provider_id]: token})
    except Exception as exc:  # allauth raises ValidationError, OAuth2Error or requests errors
        raise SocialTokenRejected(
            f"The {provider.name} token was refused: it is invalid, expired or issued for another application."
        ) from exc

    sociallogin.lookup()
    if sociallogin.is_existing:
        # allauth's own step: connects an account found by verified email, and wipes a
        # password that was set on an unverified address (account-takeover guard).
        sociallogin._accept_login(request)
        return sociallogin.user

    verified = [address for address in sociallogin.email_addresses if address.verified]
    if not verified:
        raise SocialTokenRejected(f"{provider.name} did not share a verified email address.")
    if User.objects.filter(email__iexact=verified[0].email).exists():
        raise SocialTokenRejected(
            "An account with this email already exists; sign in with its password and connect "
            f"{provider.name} from your account page."
        )
    if not adapter.is_open_for_signup(request, sociallogin):
        raise SocialTokenRejected("Sign-up is closed.")
    sociallogin.user.email = UserManager.normalize_email(verified[0].email)
    sociallogin.user.set_unusable_password()
    sociallogin.save(request)
    return sociallogin.user


def _github_login_from_access_token(request: HttpRequest, provider, access_token: str):
    from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter

    app = provider.app
    token = SocialToken(app=app if app.pk else None, token=access_token)
    return GitHubOAuth2Adapter(request).complete_login(request, app, token)
