"""`Idempotency-Key` for POSTs that create money records.

The first request with a key runs and its successful answer is stored with a
fingerprint of the request; a retry with the same key gets that answer again
(header `Idempotent-Replayed: true`) and creates nothing; the same key with a
different request answers 422. The record and the write commit together, so a
failed write leaves the key free to retry.
"""

import functools
import hashlib
import json
from collections.abc import Callable

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from budgetpay.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A unique key (e.g. a UUID) per intended write: a retry with the same key returns the first "
    "answer and creates nothing; the same key with a different body answers 422.",
)


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    items = data.lists() if hasattr(data, "lists") else (data.items() if isinstance(data, dict) else [("", data)])
    canonical = []
    for name, value in sorted(items, key=lambda item: str(item[0])):
        values = value if isinstance(value, list) else [value]
        parts = []
        for part in values:
            if isinstance(part, UploadedFile):
                part.seek(0)
                parts.append(hashlib.sha256(part.read()).hexdigest())
                part.seek(0)
            else:
                parts.append(part)
        canonical.append([str(name), parts])
    digest.update(json.dumps(canonical, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _error(message: str, code: str, status_code: int) -> Response:
    return Response({"message": message, "code": code}, status=status_code)


def idempotent(view_method: Callable) -> Callable:
    """Decorate a DRF view method that creates something (POST)."""

    @functools.wraps(view_method)
    def wrapper(self, request: Request, *args, **kwargs) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            return _error(
                f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.",
                "invalid_idempotency_key",
                status.HTTP_400_BAD_REQUEST,
            )
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                stored = IdempotencyKey.objects.select_for_update().filter(user=request.user, key=key).first()
                if stored is not None:
                    if stored.fingerprint != fingerprint:
                        return _error(
                            f"This {HEADER} was already used for a different request; use a new key.",
                            "idempotency_key_reused",
                            status.HTTP_422_UNPROCESSABLE_ENTITY,
                        )
                    return Response(
                        stored.response_body, status=stored.status_code, headers={"Idempotent-Replayed": "true"}
                    )
                response = view_method(self, request, *args, **kwargs)
                if status.is_success(response.status_code):
                    IdempotencyKey.objects.create(
                        user=request.user,
                        key=key,
                        fingerprint=fingerprint,
                        status_code=response.status_code,
                        response_body=json.loads(json.dumps(response.data, default=str)),
                    )
                return response
        except IntegrityError:
            if not IdempotencyKey.objects.filter(user=request.user, key=key).exists():
                raise
            # A concurrent request with the same key committed first: answer as a retry would.
            return wrapper(self, request, *args, **kwargs)

    return wrapper
