from rest_framework import serializers

from users.models import User


class UserSerializer(serializers.ModelSerializer):
    """The person's own profile. Privilege fields are not part of it at all."""

    class Meta:
        model = User
        fields = ("id", "email", "full_name", "currency", "timezone", "monthly_income", "date_joined")
        read_only_fields = ("id", "email", "date_joined")


class RegisterSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)

    class Meta:
        model = User
        fields = ("email", "password", "full_name", "currency", "timezone", "monthly_income")
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
