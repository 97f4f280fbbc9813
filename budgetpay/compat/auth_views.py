"""auth/...: the original's sign-in (fastapi-users' routes), in their shapes and codes.

Where fastapi-users answered 202 with no body (request-verify-token, forgot-password) or 200
with `null` (reset-password), these answer 200 with a `detail` sentence: the original
client's pages count only a 200 as sent, and only a body as a successful reset.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from budgetpay.compat import accounts
from budgetpay.compat.api import CompatView, PublicCompatView
from budgetpay.compat.auth import sign_in, sign_out
from budgetpay.compat.errors import bad_request, service_messages
from budgetpay.compat.selectors import is_verified
from budgetpay.compat.shapes import (
    EmailShape,
    LoginShape,
    RegisterShape,
    ResetPasswordShape,
    TokenShape,
    parsed,
    user_read,
)
from users import services as user_services
from users.adapters import browser_locale_settings

VERIFICATION_SENT = "If this address needs verifying, a link to verify it is on its way."
RESET_SENT = "If an account uses this address, a link to reset its password is on its way."
RESET_DONE = "Your password was changed; sign in with the new one."
SIGNED_OUT = "Successfully logged out"


class LoginView(PublicCompatView):
    """POST auth/jwt/login, form-encoded `username` (the email) and `password`."""

    throttle_scope = "login"
    parser_classes = [FormParser, MultiPartParser]

    def post(self, request: Request) -> Response:
        credentials = parsed(LoginShape, request.data).validated_data
        token = sign_in(request._request, email=credentials["username"], password=credentials["password"])
        if token is None:
            raise bad_request("LOGIN_BAD_CREDENTIALS")
        return Response({"access_token": token, "token_type": "bearer"})


class LogoutView(CompatView):
    """POST auth/jwt/logout. The original asked for no token here; a compat token sent is ended."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        scheme, _, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme == "Bearer" and raw.strip():
            sign_out(raw.strip())
        return Response({"detail": SIGNED_OUT})


class RegisterView(PublicCompatView):
    """POST auth/register: the new person (201), and a verification email, as the original."""

    throttle_scope = "register"

    def post(self, request: Request) -> Response:
        data = parsed(RegisterShape, request.data).validated_data
        try:
            user = user_services.user_register(
                email=data["email"],
                password=data["password"],
                full_name=data.get("full_name") or "",
                **browser_locale_settings(request),
                confirmed_locale_settings=False,  # guessed from the browser: the pages ask once
            )
        except DjangoValidationError as exc:
            errors = exc.message_dict
            if "email" in errors:
                raise bad_request("REGISTER_USER_ALREADY_EXISTS") from exc
            if "password" in errors:
                reason = " ".join(errors["password"])
                raise bad_request({"code": "REGISTER_INVALID_PASSWORD", "reason": reason}) from exc
            raise bad_request(service_messages(exc)) from exc
        accounts.send_verification(request._request, email=user.email, signup=True)
        return Response(user_read(user, is_verified=False), status=status.HTTP_201_CREATED)


class RequestVerifyTokenView(PublicCompatView):
    """POST auth/request-verify-token {email}: the same answer whoever the address belongs to."""

    throttle_scope = "register"  # it sends email, as a registration does

    def post(self, request: Request) -> Response:
        email = parsed(EmailShape, request.data).validated_data["email"]
        accounts.send_verification(request._request, email=email)
        return Response({"detail": VERIFICATION_SENT})


class VerifyView(PublicCompatView):
    """POST auth/verify {token}: the verified person."""

    throttle_scope = "login"  # a key to guess, as a password is

    def post(self, request: Request) -> Response:
        key = parsed(TokenShape, request.data).validated_data["token"]
        try:
            user = accounts.verify(request._request, key=key)
        except accounts.Refused as exc:
            raise bad_request(exc.detail) from exc
        return Response(user_read(user, is_verified=is_verified(user=user)))


class ForgotPasswordView(PublicCompatView):
    """POST auth/forgot-password {email}: the same answer whoever the address belongs to."""

    throttle_scope = "register"

    def post(self, request: Request) -> Response:
        email = parsed(EmailShape, request.data).validated_data["email"]
        accounts.send_password_reset(request._request, email=email)
        return Response({"detail": RESET_SENT})


class ResetPasswordView(PublicCompatView):
    """POST auth/reset-password {token, password}."""

    throttle_scope = "login"

    def post(self, request: Request) -> Response:
        data = parsed(ResetPasswordShape, request.data).validated_data
        try:
            accounts.reset_password(request._request, key=data["token"], password=data["password"])
        except accounts.Refused as exc:
            raise bad_request(exc.detail) from exc
        return Response({"detail": RESET_DONE})
