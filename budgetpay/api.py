"""API plumbing shared by every app: routers, pagination, the service-backed viewset mixin, error format, 404s."""

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, pagination, routers, serializers, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from budgetpay.ai_limit import DailyLimitReached

logger = logging.getLogger(__name__)


class OptionalSlashRouter(routers.DefaultRouter):
    """Every route answers with and without its trailing slash (the seed paths have none)."""

    include_root_view = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trailing_slash = "/?"


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


# A model's REST resource over its app's selector and services, mixed in before
# `viewsets.ModelViewSet`: reads go through `selector(user=...)`, the person's rows only
# (another's id answers 404), and writes through `<thing>_create(user=..., **fields)`,
# `<thing>_update(<thing>=..., **fields)` and `<thing>_delete(<thing>=...)`, where <thing> is
# the model's name ("category"). A subclass names `queryset` as its model's `none()` (the model
# for the router and the schema, which never runs the selector) and gives the service functions
# as `staticmethod(services.<thing>_<verb>)`.
#
# A mixin, not a ModelViewSet subclass: DRF imports this module (the pagination setting) while
# rest_framework.generics is still loading. And comments, not a docstring: drf-spectacular
# would show a docstring as the description of every viewset that has none of its own.
class ServiceViewSetMixin:
    queryset: QuerySet
    selector: Callable[..., QuerySet]
    create_service: Callable[..., Model]
    update_service: Callable[..., Model]
    delete_service: Callable[..., None]
    # Read the written row back through the selector, for what it annotates (a balance).
    refetch_after_create = False
    refetch_after_update = False
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return self.selector(user=self.request.user)

    def _instance_keyword(self) -> str:
        return self.queryset.model._meta.model_name

    def _written(self, instance: Model, *, refetch: bool) -> Model:
        return self.get_queryset().get(pk=instance.pk) if refetch else instance

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        instance = self.create_service(user=self.request.user, **serializer.validated_data)
        serializer.instance = self._written(instance, refetch=self.refetch_after_create)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        instance = self.update_service(**{self._instance_keyword(): serializer.instance}, **serializer.validated_data)
        serializer.instance = self._written(instance, refetch=self.refetch_after_update)

    def perform_destroy(self, instance: Model) -> None:
        self.delete_service(**{self._instance_keyword(): instance})


def _first_message(detail: Any) -> str:
    """The first human-readable message in a DRF error detail, prefixed by its field."""
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            if field in ("non_field_errors", "detail"):
                return message
            return f"{field}: {message}"
        return "Invalid input."
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else "Invalid input."
    return str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF errors as `{"message", "code", "errors"}`: one sentence a person can act on,
    plus the field errors a form can show next to each field."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, (OperationalError, InterfaceError)):
        # The transaction was rolled back whole; the client may retry (with its Idempotency-Key).
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        exc = ServiceUnavailable()
        exc.wait = 5
    elif isinstance(exc, RecursionError):
        # json.loads gives up on very deep nesting ("[" * 5000): bad input, not a crash.
        exc = exceptions.ParseError("The JSON is nested too deeply.")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoValidationError):
        # Services raise Django's ValidationError; the API answers it as a 400.
        exc = exceptions.ValidationError(_field_errors(exc))
    elif isinstance(exc, DailyLimitReached):
        # Every AI endpoint answers the day's spent AI requests alike.
        exc = AIDailyLimitReached(str(exc), wait=exc.retry_after)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail = exc.detail
    body: dict[str, Any] = {"message": _first_message(detail)}
    if isinstance(exc, exceptions.ValidationError):
        body["code"] = "invalid"
        body["errors"] = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    else:
        codes = exc.get_codes()
        body["code"] = codes if isinstance(codes, str) else exc.default_code
    response.data = body
    return response


def _field_errors(exc: DjangoValidationError) -> dict:
    """A model's or service's ValidationError by field; what belongs to no one field (the
    model's clean(), a constraint over several fields) under non_field_errors, as DRF's own."""
    errors = as_serializer_error(exc)
    if NON_FIELD_ERRORS in errors:
        errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(NON_FIELD_ERRORS)
    return errors


class AIDailyLimitReached(exceptions.APIException):
    """budgetpay.ai_limit.DailyLimitReached as the API answers it: 429 with Retry-After
    (seconds until the person's next day)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "daily_limit_reached"

    def __init__(self, detail: str, *, wait: int) -> None:
        super().__init__(detail)
        self.wait = wait  # DRF's handler sends it as Retry-After


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable right now; nothing was saved. Try again in a few seconds."
    default_code = "database_unavailable"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


@csrf_exempt  # it changes nothing; a cookie-bearing DELETE to a wrong path still gets JSON
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/ answer in JSON, like the rest of the API."""
    return JsonResponse(
        {"message": f"No API endpoint at {request.path}.", "code": "not_found"},
        status=status.HTTP_404_NOT_FOUND,
    )


def document_paths_without_trailing_slash(endpoints: list[tuple]) -> list[tuple]:
    """drf-spectacular hook: the schema names each path as clients call it, without
    the optional trailing slash (`/?` in the URL patterns)."""
    return [(path.rstrip("/") or "/", regex, method, callback) for path, regex, method, callback in endpoints]


ERROR_RESPONSES = {
    "400": "The input is not valid; `errors` names each field and what is wrong with it.",
    "401": "Missing, invalid or expired access token.",
    "403": "Not allowed.",
    "404": "No such object among yours.",
    "405": "Method not allowed here.",
    "406": "Cannot answer in the requested format.",
    "413": "The request body is too large.",
    "415": "Unsupported content type.",
    "422": "The Idempotency-Key was already used for a different request.",
    "429": "Too many requests; retry after `Retry-After` seconds.",
}


def document_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular hook: every operation may answer the shared error shape."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "properties": {
            "message": {"type": "string"},
            "code": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": True},
        },
        "required": ["message", "code"],
    }
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status_code, description in ERROR_RESPONSES.items():
                if status_code not in responses or not responses[status_code].get("content"):
                    responses[status_code] = {"description": description, "content": reference}
    return result
