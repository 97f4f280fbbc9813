from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MinValueValidator
from django.db import models, router, transaction
from django.db.models.functions import Lower
from django.utils import timezone as django_timezone

from budgetpay.formatting import DEFAULT_LOCALE, MAX_LOCALE_CHARS
from budgetpay.money import optional_non_negative_decimal
from budgetpay.validators import validate_currency, validate_locale, validate_timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str) -> "User":
        # Sign-in by email ignores case, as the unique constraint does.
        return self.get(email__iexact=self.normalize_email(username))

    def _create(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person using Budget Pay; the email address is the login."""

    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    currency = models.CharField(
        max_length=3, default="USD", validators=[validate_currency], help_text="ISO 4217 code, e.g. USD."
    )
    timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone], help_text="IANA name, e.g. Europe/Berlin."
    )
    monthly_income = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))]
    )
    # The original Budget Pay's one savings target per month (its `savings_goal_amount`), which
    # its web client shows and edits through the compatibility API; unset until the person sets it.
    monthly_savings_goal = models.DecimalField(
        **optional_non_negative_decimal(max_digits=14),
        help_text="How much the person aims to save each month, in their currency; empty when not set.",
    )
    locale = models.CharField(
        max_length=MAX_LOCALE_CHARS,
        default=DEFAULT_LOCALE,
        validators=[validate_locale],
        help_text="BCP 47 tag, e.g. de-DE: how amounts are written (1.234,50 €). From the browser at sign-up.",
    )
    # False for people who may still have the USD/UTC they were given rather than chose
    # (accounts from before sign-up asked, a social sign-up): asked once after signing in.
    confirmed_locale_settings = models.BooleanField(
        default=True, help_text="Has chosen (or confirmed) their currency and time zone."
    )
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=django_timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    # set_unusable_password() leaves Django's `_password` unset, so it marks the change here.
    _password_made_unusable = False

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._password_made_unusable = True

    def save(self, *args, **kwargs) -> None:
        # The one place every password change passes through (API, allauth's change, set and
        # reset-by-key pages, the admin's form, manage.py changepassword, a social sign-in
        # wiping the password), the way Django's own save() calls password_changed(). A
        # rehash on sign-in (check_password's upgrade) clears `_password` before saving, so
        # it does not count. New rows have nothing to revoke.
        update_fields = kwargs.get("update_fields")
        password_changed = (
            not self._state.adding
            and (self._password is not None or self._password_made_unusable)
            and (update_fields is None or "password" in update_fields)
        )
        self._password_made_unusable = False
        if not password_changed:
            super().save(*args, **kwargs)
            return
        from users.services import user_credentials_changed  # services build on this model

        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            super().save(*args, **kwargs)
            user_credentials_changed(user=self)

    def clean(self) -> None:
        super().clean()
        self.email = UserManager.normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class RefreshTokenLineage(models.Model):
    """Which sign-in a refresh token descends from, and when it was exchanged for its successor.

    Rotation hands out one successor per refresh token, all in the family of the sign-in's
    first token. A rotated token presented again after a short grace was copied: the whole
    family is revoked (OAuth 2.0 Security Best Current Practice, refresh token rotation).
    A token issued without a row (the sign-in's first) is its own family's root.
    """

    token = models.OneToOneField(
        "token_blacklist.OutstandingToken", on_delete=models.CASCADE, primary_key=True, related_name="lineage"
    )
    family = models.CharField(max_length=255, db_index=True, help_text="jti of the sign-in's first refresh token.")
    rotated_at = models.DateTimeField(null=True, blank=True, help_text="When it was exchanged for its successor.")

    def __str__(self) -> str:
        return f"token of sign-in {self.family}"
