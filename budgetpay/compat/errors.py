"""Errors as the original API gave them: `{"detail": ...}` with FastAPI's status codes.

- A request of the wrong shape (a missing or malformed field, JSON that does not parse)
  is a 422 whose detail lists each problem, as FastAPI's validation does:
  `{"detail": [{"type": "missing", "loc": ["body", "amount"], "msg": "Field required"}]}`.
- A rule of ours that the input breaks (a service's ValidationError: a share of income
  that does not fit, a category of someone else's) is a 400 with one sentence a person
  can act on, the way the original answered its own HTTPExceptions.
- Anything else keeps its status (401, 404, 405, 413, 429, 503) with `detail` a sentence;
  401 carries `WWW-Authenticate: Bearer`, 429 and 503 `Retry-After`.

The original client shows `detail` when it is a string and joins the `msg`s when it is a
list, so every error here reads as a message on its screens.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from budgetpay.api import PayloadTooLarge, ServiceUnavailable

# FastAPI's words for the cases the client meets most.
NOT_AUTHENTICATED = "Not authenticated"
NOT_FOUND = "Not Found"
METHOD_NOT_ALLOWED = "Method Not Allowed"
FIELD_REQUIRED = "Field required"


class CompatError(exceptions.APIException):
    """An answer with any JSON `detail` (a string, or the object some original errors carry)."""

    def __init__(self, status_code: int, detail: Any) -> None:
        super().__init__()
        self.status_code = status_code
        self.compat_detail = detail


def bad_request(detail: Any) -> CompatError:
    return CompatError(status.HTTP_400_BAD_REQUEST, detail)


def not_found(what: str) -> CompatError:
    return CompatError(status.HTTP_404_NOT_FOUND, f"{what} not found")


def service_messages(exc: DjangoValidationError) -> str:
    """A service's ValidationError as one sentence (its messages, without our field names)."""
    return " ".join(exc.messages) or "Invalid input."


def validation_items(detail: Any, loc: tuple = ("body",)) -> list[dict[str, Any]]:
    """DRF's field errors as FastAPI's list: one `{"type", "loc", "msg"}` per message."""
    if isinstance(detail, dict):
        items = []
        for field, errors in detail.items():
            where = loc if field in ("non_field_errors", "detail") else (*loc, field)
            items.extend(validation_items(errors, where))
        return items
    if isinstance(detail, list):
        return [item for error in detail for item in validation_items(error, loc)]
    code = getattr(detail, "code", "value_error")
    if code == "required":
        return [{"type": "missing", "loc": list(loc), "msg": FIELD_REQUIRED}]
    return [{"type": code or "value_error", "loc": list(loc), "msg": str(detail)}]


def _detail_text(detail: Any) -> str:
    if isinstance(detail, dict):
        return _detail_text(detail.get("detail") or next(iter(detail.values()), "")) if detail else ""
    if isinstance(detail, list):
        return _detail_text(detail[0]) if detail else ""
    return str(detail)


def _converted(exc: Exception) -> Exception:
    """Django's and the database's exceptions as the DRF ones that carry their status."""
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, (OperationalError, InterfaceError)):
        unavailable = ServiceUnavailable()
        unavailable.wait = 5
        return unavailable
    if isinstance(exc, Http404):
        return exceptions.NotFound(NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        return bad_request(service_messages(exc))
    if isinstance(exc, RecursionError):  # json.loads gives up on very deep nesting
        return exceptions.ParseError()
    return exc


def exception_handler(exc: Exception, context: dict) -> Response | None:
    exc = _converted(exc)
    if isinstance(exc, exceptions.ParseError):
        items = [{"type": "json_invalid", "loc": ["body", 0], "msg": "JSON decode error"}]
        return Response({"detail": items}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    if isinstance(exc, exceptions.ValidationError):
        return Response({"detail": validation_items(exc.detail)}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    response = drf_exception_handler(exc, context)  # sets WWW-Authenticate and Retry-After
    if response is None:
        return None
    if isinstance(exc, CompatError):
        response.data = {"detail": exc.compat_detail}
    elif isinstance(exc, exceptions.NotAuthenticated):
        response.data = {"detail": NOT_AUTHENTICATED}
    elif isinstance(exc, exceptions.MethodNotAllowed):
        response.data = {"detail": METHOD_NOT_ALLOWED}
    else:
        response.data = {"detail": _detail_text(exc.detail) or exc.default_detail}
    return response


@csrf_exempt  # it changes nothing; any method to a wrong path gets the JSON 404
def path_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Paths under the prefix the original API never had answer as FastAPI does."""
    response = JsonResponse({"detail": NOT_FOUND}, status=status.HTTP_404_NOT_FOUND)
    response["Cache-Control"] = "no-store"
    return response
