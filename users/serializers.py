from decimal import Decimal

from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import UntypedToken

from budgetpay.formatting import MAX_LOCALE_CHARS, LocaleError, normalize_locale
from budgetpay.money import MoneyField
from users.authentication import JWTAuthentication
from users.models import User


class LocaleField(serializers.CharField):
    """How the person's amounts are written: a BCP 47 tag CLDR knows ("de-DE"). "de_de" is
    read as de-DE; anything else is a 400 naming the field."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", "BCP 47 locale for formatting amounts, e.g. en-US or de-DE.")
        super().__init__(max_length=MAX_LOCALE_CHARS, **kwargs)

    def to_internal_value(self, data) -> str:
        try:
            return normalize_locale(super().to_internal_value(data))
        except LocaleError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class UserSerializer(serializers.ModelSerializer):
    """The person's own profile. Privilege fields are not part of it at all."""

    # The platform's money field, not the model's DecimalField, which would take "1e3" and "０１２".
    monthly_income = MoneyField(min_value=Decimal("0"), required=False)
    locale = LocaleField(required=False)

    class Meta:
        model = User
        fields = ("id", "email", "full_name", "currency", "timezone", "locale", "monthly_income", "date_joined")
        read_only_fields = ("id", "email", "date_joined")


class RegisterSerializer(serializers.ModelSerializer):
    """Currency and locale left out come from the Accept-Language header (its region's
    currency); a person registered without a currency and a time zone is asked to check
    them on their first sign-in to the pages."""

    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    monthly_income = MoneyField(min_value=Decimal("0"), required=False)
    locale = LocaleField(required=False)

    class Meta:
        model = User
        fields = ("email", "password", "full_name", "currency", "timezone", "locale", "monthly_income")
        extra_kwargs = {"email": {"validators": []}}  # uniqueness (ignoring case) is the service's


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RegisterResponseSerializer(TokenPairSerializer):
    user = UserSerializer()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False, max_length=128, required=False, default="")
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)


class AccountDeleteSerializer(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False, max_length=128, required=False, default="")


class SocialTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=8192, help_text="Google: the ID token. GitHub: an OAuth access token.")


class TokenRefreshSerializer(serializers.Serializer):
    """A refresh token in, a new pair out (users.services.refresh_token_rotate)."""

    refresh = serializers.CharField(max_length=4096)
    access = serializers.CharField(read_only=True)


class TokenVerifySerializer(jwt_serializers.TokenVerifySerializer):
    """Valid only while the token still speaks for its person: signed, unexpired, not
    revoked, and its person exists, is active and has not changed the password since
    (the REST authentication's checks). Every refusal is a 401, as the API would give."""

    def validate(self, attrs: dict) -> dict:
        token = UntypedToken(attrs["token"])
        if BlacklistedToken.objects.filter(token__jti=token.get(api_settings.JTI_CLAIM)).exists():
            raise InvalidToken("This token was revoked (signed out, password changed, or reused).")
        JWTAuthentication().get_user(token)
        return {}
