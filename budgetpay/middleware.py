from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse


class ApiBodySizeLimitMiddleware:
    """Refuse oversized API bodies with a JSON 413 before anything reads them.

    Django checks DATA_UPLOAD_MAX_MEMORY_SIZE only when `request.body` is read,
    and DRF's parsers read the stream directly, so the limit is enforced here.
    File uploads (CSV imports) get the larger API_UPLOAD_MAX_SIZE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        content_type = request.META.get("CONTENT_TYPE", "")
        uploading = content_type.startswith(("multipart/form-data", "text/csv"))
        limit = settings.API_UPLOAD_MAX_SIZE if uploading else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return JsonResponse(
                    {
                        "message": f"The request body is {length} bytes; the limit is {limit} bytes.",
                        "code": "payload_too_large",
                    },
                    status=413,
                )
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy (settings.CONTENT_SECURITY_POLICY) plus this host's WebSocket origins.

    CSP Level 3 lets 'self' match ws:/wss: on the page's own host, but browsers that predate
    it (Safari before 15.4) do not, and the pages' live bell would be refused there. The host
    is the request's validated Host (ALLOWED_HOSTS), the one the page's script connects to.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request=request, response=response, report_only=report_only)
        if report_only:
            return parts
        try:
            host = request.get_host()
        except DisallowedHost:
            return parts
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", ()), f"ws://{host}", f"wss://{host}"]
        parts.update = update
        return parts


class NoStoreForPersonalResponsesMiddleware:
    """`Cache-Control: no-store` on every response that may carry someone's data or credentials.

    That is every API response (JSON for one person, or tokens) and every page answered to a
    request that carries a session cookie or an Authorization header, or that starts a session
    (the sign-in answer). Neither the browser's disk cache nor a shared proxy may then keep a
    signed-in page, an export or a token to show the next person at that computer. It decides
    from the request's cookies and headers, never by loading the session, so it costs no query.
    Static files never reach it (WhiteNoise answers them first) and keep their long caching;
    a view that chose its own Cache-Control keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if (
            request.path_info.startswith("/api/")
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or "HTTP_AUTHORIZATION" in request.META
            or settings.SESSION_COOKIE_NAME in response.cookies
        ):
            response["Cache-Control"] = "no-store"
        return response
