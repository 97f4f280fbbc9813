from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView, TokenVerifyView

from budgetpay import personal_data
from budgetpay.periods import user_today
from budgetpay.throttling import ClientScopedRateThrottle
from users import services
from users.adapters import browser_locale_settings
from users.serializers import (
    AccountDeleteSerializer,
    PasswordChangeSerializer,
    RegisterResponseSerializer,
    RegisterSerializer,
    SocialTokenSerializer,
    TokenPairSerializer,
    TokenRefreshSerializer,
    TokenVerifySerializer,
    UserSerializer,
)


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "register"

    @extend_schema(request=RegisterSerializer, responses={201: RegisterResponseSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chosen = serializer.validated_data
        user = services.user_register(
            **{**browser_locale_settings(request), **chosen},
            confirmed_locale_settings="currency" in chosen and "timezone" in chosen,
        )
        body = {"user": UserSerializer(user).data, **services.tokens_for_user(user=user)}
        return Response(body, status=status.HTTP_201_CREATED)


class PasswordChangeView(APIView):
    """Change the password; every refresh token issued before is revoked."""

    @extend_schema(request=PasswordChangeSerializer, responses={200: TokenPairSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = services.user_change_password(user=request.user, **serializer.validated_data)
        return Response(tokens)


class SocialTokenView(APIView):
    """Exchange a provider token held by a mobile or single-page client for a JWT pair."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "social_login"
    provider_id = ""

    @extend_schema(request=SocialTokenSerializer, responses={200: RegisterResponseSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = SocialTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = services.social_token_login(
                request=request._request, provider_id=self.provider_id, token=serializer.validated_data["token"]
            )
        except services.SocialTokenRejected as exc:
            return Response({"message": str(exc), "code": "social_token_rejected"}, status=status.HTTP_401_UNAUTHORIZED)
        if not user.is_active:
            return Response(
                {"message": "This account is disabled.", "code": "user_inactive"}, status=status.HTTP_401_UNAUTHORIZED
            )
        return Response({"user": UserSerializer(user).data, **services.tokens_for_user(user=user)})


class MeView(APIView):
    @extend_schema(responses=UserSerializer, tags=["users"])
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)

    @extend_schema(request=UserSerializer, responses=UserSerializer, tags=["users"])
    def patch(self, request: Request) -> Response:
        serializer = UserSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if "currency" in changes or "timezone" in changes:
            changes["confirmed_locale_settings"] = True  # chosen now, nothing left to ask
        user = services.user_update(user=request.user, **changes)
        return Response(UserSerializer(user).data)

    @extend_schema(request=AccountDeleteSerializer, responses={204: None}, tags=["users"])
    def delete(self, request: Request) -> Response:
        serializer = AccountDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_delete(user=request.user, password=serializer.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class DataExportView(APIView):
    """Everything Budget Pay holds about you: `?format=json` (default) or `?format=csv` (a zip, one CSV per table)."""

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # `format` names the file to build here, not a DRF renderer.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"], required=False)],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="Every table as JSON."),
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="A zip, one CSV per table."),
        },
        tags=["users"],
    )
    def get(self, request: Request) -> HttpResponse:
        kind = request.query_params.get("format", "json")
        stamp = user_today(request.user).isoformat()
        if kind == "json":
            response = HttpResponse(personal_data.export_json(user=request.user), content_type="application/json")
            response["Content-Disposition"] = f'attachment; filename="budgetpay-data-{stamp}.json"'
        elif kind == "csv":
            response = HttpResponse(personal_data.export_csv_zip(user=request.user), content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="budgetpay-data-{stamp}.zip"'
        else:
            return Response(
                {
                    "message": "format must be json or csv.",
                    "code": "invalid",
                    "errors": {"format": ["Use json or csv."]},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return response


class LoginView(TokenObtainPairView):
    """Email and password for a token pair."""

    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "login"


class RefreshView(TokenRefreshView):
    """A refresh token for a new pair; the old refresh token is used up. Presenting it
    again answers 401; long after its rotation, it also signs out that whole sign-in."""

    serializer_class = TokenRefreshSerializer
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "token_refresh"

    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            pair = services.refresh_token_rotate(raw_token=serializer.validated_data["refresh"])
        except services.TokenRefused as exc:
            raise InvalidToken(str(exc)) from exc
        return Response(pair)


class VerifyView(TokenVerifyView):
    """200 while a token still speaks for its person; 401 once it does not."""

    serializer_class = TokenVerifySerializer
