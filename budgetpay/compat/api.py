"""The base of every compatibility view: the client's bearer tokens, JSON in and out, the
original's error shapes, no caching, the body-size limit, and no place in /api/schema/."""

from django.conf import settings
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from budgetpay.api import PayloadTooLarge
from budgetpay.compat.auth import CompatJWTAuthentication
from budgetpay.compat.errors import exception_handler
from budgetpay.throttling import ClientScopedRateThrottle


class CompatView(APIView):
    """A signed-in person's call. Throttles are the API's own scopes and rates (settings)."""

    schema = None  # drf-spectacular leaves views without a schema out of /api/schema/
    authentication_classes = [CompatJWTAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self):
        return exception_handler

    def initial(self, request: Request, *args, **kwargs) -> None:
        # As ApiBodySizeLimitMiddleware does for /api/: refused before a parser reads it.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            raise PayloadTooLarge(f"The request body is {length} bytes; the limit is {limit} bytes.")
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request: Request, response: Response, *args, **kwargs) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"  # a person's data, or a token
        return response


class PublicCompatView(CompatView):
    """A call made before signing in, counted per client address in `throttle_scope`."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientScopedRateThrottle]
