from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


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
