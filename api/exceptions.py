"""Every API error is an RFC 9457 problem details document (`application/problem+json`).

    {"type": "about:blank", "title": "Bad Request", "status": 400, "code": "invalid",
     "detail": "The request has invalid fields.", "instance": "/api/v1/cohorts/x/memberships/",
     "errors": [{"field": "email", "message": "No account uses this e-mail address."}]}

`problem_details_handler` is DRF's EXCEPTION_HANDLER; `problem_response` builds the same
document outside DRF (the catch-all 404 for unknown /api/ paths, idempotency refusals).
"""

import logging
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from core.storage import StorageUnavailable

PROBLEM_CONTENT_TYPE = "application/problem+json"

logger = logging.getLogger("django.request")


def problem_body(
    *,
    status_code: int,
    detail: str,
    instance: str,
    code: str,
    errors: list[dict[str, str | None]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "code": code,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(
    request: HttpRequest, *, status_code: int, detail: str, code: str, headers: dict[str, str] | None = None
) -> JsonResponse:
    """A problem document as a plain Django response, for code that runs outside DRF."""
    body = problem_body(status_code=status_code, detail=detail, instance=request.get_full_path(), code=code)
    return JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE, headers=headers)


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str | None]]:
    """DRF's nested error structure as a flat list of {field, message}; nested fields are
    joined with dots (`items.0.title`), errors about the whole body have field null."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            is_whole = key in (api_settings.NON_FIELD_ERRORS_KEY, NON_FIELD_ERRORS)
            name = prefix if is_whole else (f"{prefix}.{key}" if prefix else str(key))
            found.extend(_flatten(value, name))
        return found
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [{"field": prefix or None, "message": str(item)} for item in detail]
        found = []
        for index, item in enumerate(detail):
            if isinstance(item, str):
                found.append({"field": prefix or None, "message": str(item)})
            elif item:  # an empty dict marks a valid item of a list
                found.extend(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return found
    return [{"field": prefix or None, "message": str(detail)}]


def validation_error_from_django(exc: DjangoValidationError, field_map: dict[str, str] | None = None):
    """A service's ValidationError as DRF's, renaming fields to the serializer's names."""
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(
            {
                field_map.get(field, field): [str(m) for e in errors for m in e.messages]
                for field, errors in exc.error_dict.items()
            }
        )
    return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})


def problem_details_handler(exc: Exception, context: dict[str, Any]) -> Response:
    request = context.get("request")
    instance = request.get_full_path() if request is not None else ""

    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args) if exc.args else exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args) if exc.args else exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = validation_error_from_django(exc)
    elif isinstance(exc, RequestDataTooBig):
        # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE (files excepted); a
        # SuspiciousOperation it would answer with 400 outside DRF, but it is the client's size.
        exc = RequestTooLarge()
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ParseError(f"Form parse error - {exc}")
    elif isinstance(exc, StorageUnavailable):
        exc = ServiceUnavailable(exc.message)

    if not isinstance(exc, exceptions.APIException):
        # Logged like Django logs an unhandled error, so error reporting still sees it;
        # the client gets a problem document without internals.
        logger.error("Internal Server Error: %s", instance, exc_info=exc, extra={"status_code": 500})
        set_rollback()
        body = problem_body(
            status_code=500,
            detail="The server could not complete the request. The error has been logged.",
            instance=instance,
            code="server_error",
        )
        return Response(body, status=500, content_type=PROBLEM_CONTENT_TYPE)

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))

    if isinstance(exc, exceptions.ValidationError):
        body = problem_body(
            status_code=exc.status_code,
            detail="The request has invalid fields.",
            instance=instance,
            code="invalid",
            errors=_flatten(exc.detail),
        )
    else:
        codes = exc.get_codes()
        body = problem_body(
            status_code=exc.status_code,
            detail=str(exc.detail) if not isinstance(exc.detail, (list, dict)) else str(exc.default_detail),
            instance=instance,
            code=codes if isinstance(codes, str) else exc.default_code,
        )
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, detail=None, code=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        detail = detail or f"The request body is larger than {limit} bytes (uploaded files excepted)."
        super().__init__(detail, code)


class ServiceUnavailable(exceptions.APIException):
    """A dependency (file storage) is down: the client may try again later (Retry-After)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable. Please try again later."
    default_code = "service_unavailable"
    wait = 60


class UnprocessableContent(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request cannot be processed."
    default_code = "unprocessable"
