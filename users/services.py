"""Writes on users and their credentials. Each runs in one database transaction."""

from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialApp, SocialToken
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from budgetpay.formatting import DEFAULT_LOCALE
from budgetpay.services import model_update
from users.models import RefreshTokenLineage, User, UserManager
from users.signals import credentials_changed, refresh_token_reused
from users.tokens import token_matches_credentials

EMAIL_TAKEN = "A user with this email address already exists."
# What a person may change about themselves (the email and password have services of their own).
PROFILE_FIELDS = frozenset(
    {
        "full_name",
        "currency",
        "timezone",
        "locale",
        "monthly_income",
        "monthly_savings_goal",
        "confirmed_locale_settings",
    }
)


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
    locale: str = DEFAULT_LOCALE,
    monthly_income: Decimal = Decimal("0"),
    confirmed_locale_settings: bool = True,
) -> User:
    """Create a person's account. The email is their login, unique ignoring case.
    `confirmed_locale_settings=False` asks them to check currency and time zone on their
    first sign-in to the pages (they were guessed, not chosen)."""
    email = UserManager.normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": [EMAIL_TAKEN]})
    user = User(
        email=email,
        full_name=full_name,
        currency=currency,
        timezone=timezone,
        locale=locale,
        monthly_income=monthly_income,
        confirmed_locale_settings=confirmed_locale_settings,
    )
    _validate_password(password, user, field="password")
    user.set_password(password)
    # The password was hashed above, outside the transaction: the slow part holds no lock.
    try:
        with transaction.atomic():
            user.save()
            # allauth's account pages manage addresses through EmailAddress rows.
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    except IntegrityError as exc:  # a concurrent registration won the race
        raise ValidationError({"email": [EMAIL_TAKEN]}) from exc
    return user


@transaction.atomic
def user_update(*, user: User, **fields: object) -> User:
    """Change profile fields (PROFILE_FIELDS)."""
    user = model_update(instance=user, fields=fields, allowed=PROFILE_FIELDS, clean_exclude=["password"])
    return user


def _blacklist_outstanding_refresh_tokens(user: User) -> int:
    outstanding = list(OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False))
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(outstanding)


class TokenRefused(Exception):
    """A refresh token that may not be exchanged; the message says why."""


class _RotatableRefreshToken(RefreshToken):
    """A refresh token checked for signature, expiry and type, but not yet for the
    blacklist: refresh_token_rotate() reads that under the row lock, where it tells a
    token reused after its rotation from one revoked otherwise."""

    def check_blacklist(self) -> None:
        pass


REFRESH_REUSED = "This refresh token was already used; use the one that replaced it, or sign in again."
REFRESH_REVOKED = "This refresh token was revoked (signed out, password changed, or reused); sign in again."


def refresh_token_rotate(*, raw_token: str) -> dict[str, str]:
    """Exchange a refresh token for a new pair; the presented one is used up.

    Exactly one exchange of a token wins, however many arrive at once: the token's
    OutstandingToken row is locked and blacklisted in one transaction, and the others
    find it blacklisted. A used-up token presented again within
    JWT_REFRESH_REUSE_GRACE_SECONDS of its rotation (two tabs, a phone retrying after a
    lost answer) is only refused; later, it was copied, so every refresh token of its
    sign-in is revoked and the person is told (`refresh_token_reused`).
    """
    try:
        refresh = _RotatableRefreshToken(raw_token)
    except TokenError as exc:
        raise TokenRefused(str(exc.args[0])) from exc
    user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: refresh.get(jwt_settings.USER_ID_CLAIM)}).first()
    if user is None or not user.is_active:
        raise TokenRefused("No active account found for the given token.")
    refusal = ""
    with transaction.atomic():
        row = _locked_outstanding_token(refresh, user=user)
        if BlacklistedToken.objects.filter(token=row).exists():
            refusal = _refuse_used_token(row=row, user=user)
        elif not token_matches_credentials(token=refresh, user=user):
            # Issued before a password change (or before this check existed); its
            # access tokens would be refused too.
            refusal = REFRESH_REVOKED
        else:
            pair = _rotate(refresh, row=row, user=user)
            if pair is not None:
                return pair
            # Another exchange blacklisted it after the check (on SQLite the row lock is a
            # no-op, so only the blacklist's unique row decides): this one lost the race.
            refusal = _refuse_used_token(row=row, user=user)
    raise TokenRefused(refusal)


def _locked_outstanding_token(refresh: RefreshToken, *, user: User) -> OutstandingToken:
    jti = refresh[jwt_settings.JTI_CLAIM]
    OutstandingToken.objects.get_or_create(  # a token we signed but never recorded (issued by hand)
        jti=jti,
        defaults={
            "user": user,
            "token": str(refresh),
            "created_at": datetime_from_epoch(refresh["iat"]),
            "expires_at": datetime_from_epoch(refresh["exp"]),
        },
    )
    return OutstandingToken.objects.select_for_update().get(jti=jti)


def _refuse_used_token(*, row: OutstandingToken, user: User) -> str:
    lineage = RefreshTokenLineage.objects.filter(token=row).first()
    if lineage is None or lineage.rotated_at is None:
        return REFRESH_REVOKED  # signed out, or revoked with a password change
    grace = timedelta(seconds=settings.JWT_REFRESH_REUSE_GRACE_SECONDS)
    if timezone.now() - lineage.rotated_at <= grace:
        return REFRESH_REUSED
    revoked = refresh_token_family_revoke(family=lineage.family)
    refresh_token_reused.send(sender=User, user=user, family=lineage.family, revoked=revoked)
    return REFRESH_REVOKED


def _rotate(refresh: RefreshToken, *, row: OutstandingToken, user: User) -> dict[str, str] | None:
    """The successor pair, or None when another exchange blacklisted `row` first."""
    _, won = BlacklistedToken.objects.get_or_create(token=row)
    if not won:
        return None
    now = timezone.now()
    lineage, created = RefreshTokenLineage.objects.get_or_create(
        token=row, defaults={"family": row.jti, "rotated_at": now}
    )
    if not created:
        lineage.rotated_at = now
        lineage.save(update_fields=["rotated_at"])

    pair = {"access": str(refresh.access_token)}
    # The successor keeps every claim (user, revoke claim) with a new id and lifetime.
    refresh.set_jti()
    refresh.set_exp()
    refresh.set_iat()
    successor = OutstandingToken.objects.create(
        user=user,
        jti=refresh[jwt_settings.JTI_CLAIM],
        token=str(refresh),
        created_at=refresh.current_time,
        expires_at=datetime_from_epoch(refresh["exp"]),
    )
    RefreshTokenLineage.objects.create(token=successor, family=lineage.family)
    pair["refresh"] = str(refresh)
    return pair


@transaction.atomic
def refresh_token_family_revoke(*, family: str) -> int:
    """Revoke every refresh token descended from one sign-in; returns how many were still live."""
    live = list(OutstandingToken.objects.filter(lineage__family=family).exclude(blacklistedtoken__isnull=False))
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live], ignore_conflicts=True)
    return len(live)


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
    user.save(update_fields=["password"])  # revokes every refresh token (user_credentials_changed)
    # Issued after the save, so the pair carries the new password's revoke claim.
    return tokens_for_user(user=user)


@transaction.atomic
def user_credentials_changed(*, user: User) -> None:
    """The password of an existing person was changed or made unusable (User.save() calls
    this on every path). Every refresh token is revoked in the same transaction, so no
    token outlives the change even for a moment; access tokens issued before it carry the
    old password's revoke claim and are refused (users.tokens). Other parts of the product
    (open sockets) hear of it through `credentials_changed` once the change is committed."""
    _blacklist_outstanding_refresh_tokens(user)
    changed_at = timezone.now()
    transaction.on_commit(lambda: credentials_changed.send(sender=User, user=user, changed_at=changed_at))


@transaction.atomic
@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Disable the account without deleting anything: no token of the person's is accepted any
    more (the REST API, the sockets and the compatibility API refuse an inactive person, and
    their open sockets close on the save), and every refresh token is revoked, so reactivating
    the account in the admin revives none of them."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_revoke_refresh_tokens(user=user)


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
    # A GitHub access token works on /user whichever OAuth app it was issued to, so a
    # token someone granted to another app (a game, a CI tool) would sign them in here.
    # GitHub's "check a token" answers 200 only for tokens of the app whose credentials
    # ask (https://docs.github.com/rest/apps/oauth-applications#check-a-token).
    with get_social_adapter().get_requests_session() as session:
        check = session.post(
            f"{GitHubOAuth2Adapter.api_url}/applications/{app.client_id}/token",
            auth=(app.client_id, app.secret),
            json={"access_token": access_token},
            headers={"Accept": "application/vnd.github+json"},
        )
    if check.status_code != 200 or (check.json().get("app") or {}).get("client_id") != app.client_id:
        raise SocialTokenRejected(f"GitHub did not confirm the token was issued to this app ({check.status_code}).")
    token = SocialToken(app=app if app.pk else None, token=access_token)
    return GitHubOAuth2Adapter(request).complete_login(request, app, token)
