from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from users import services
from users.forms import ProfileForm
from users.serializers import (
    AccountDeleteSerializer,
    PasswordChangeSerializer,
    RegisterResponseSerializer,
    RegisterSerializer,
    SocialTokenSerializer,
    TokenPairSerializer,
    UserSerializer,
)


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RegisterSerializer, responses={201: RegisterResponseSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
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
            return Response({"message": "This account is disabled.", "code": "user_inactive"}, status=status.HTTP_401_UNAUTHORIZED)
        return Response({"user": UserSerializer(user).data, **services.tokens_for_user(user=user)})


class MeView(APIView):
    @extend_schema(responses=UserSerializer, tags=["users"])
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)

    @extend_schema(request=UserSerializer, responses=UserSerializer, tags=["users"])
    def patch(self, request: Request) -> Response:
        serializer = UserSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data)

    @extend_schema(request=AccountDeleteSerializer, responses={204: None}, tags=["users"])
    def delete(self, request: Request) -> Response:
        serializer = AccountDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_delete(user=request.user, password=serializer.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_update(user=request.user, **{name: form.cleaned_data[name] for name in form.changed_data})
        messages.success(request, "Your profile was saved.")
        return redirect("profile")
    return render(request, "users/profile.html", {"form": form})
