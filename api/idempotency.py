"""`Idempotency-Key` support for POSTs that create something.

Decorate the viewset method (after DRF has authenticated and checked permissions):

    class RevisionViewSet(viewsets.GenericViewSet):
        @extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER], ...)
        @idempotent
        def create(self, request, *args, **kwargs): ...

Behaviour, per signed-in user and key:
- no header: the request runs normally;
- first use: the request runs once; a 2xx response is stored and the key is bound to the
  method, path and a SHA-256 of the parsed body; a non-2xx response or an exception frees
  the key again, so the client may retry with the same key;
- the same key, same method, path and body again: the stored response is replayed with
  `Idempotent-Replayed: true` and nothing runs;
- the same key with another body, path or method: 422 problem (`idempotency_key_reused`);
- the same key while the first request is still running: 409 problem
  (`idempotency_request_in_progress`) with `Retry-After: 1`.
Exactly one request wins, on PostgreSQL and SQLite alike, because the key is claimed by
inserting a row under a unique (user, key) constraint before the work starts.
Stored keys are kept for 24 hours (`api.services.idempotency_records_purge`).
"""

import datetime
import functools
import hashlib
import json
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .exceptions import Conflict, UnprocessableContent
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
RETENTION = datetime.timedelta(hours=24)
# A claimed key whose request has not finished after this long belongs to a process
# that died; the next request with the key takes it over.
STALE_AFTER = datetime.timedelta(minutes=5)
_REPLAYED_RESPONSE_HEADERS = ("Location", "ETag")

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique key (1–255 printable characters, e.g. a UUID) that makes retrying this request safe: "
        "the same key and body within 24 hours replays the first response (with `Idempotent-Replayed: true`) "
        "and creates nothing new; the same key with another body is refused with 422."
    ),
)


def request_fingerprint(request) -> str:
    """SHA-256 of the parsed request body, so equal JSON in another key order or spacing
    counts as the same body; uploaded files count by their content."""
    data = request.data
    if hasattr(data, "lists"):  # QueryDict from a form or multipart body
        data = {key: values for key, values in data.lists()}

    def default(value: Any) -> Any:
        if isinstance(value, UploadedFile):
            digest = hashlib.sha256()
            for chunk in value.chunks():
                digest.update(chunk)
            value.seek(0)
            return {"file": value.name, "sha256": digest.hexdigest()}
        return JSONEncoder().default(value)

    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=default)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _validated_key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError({HEADER: [f"Use 1 to {MAX_KEY_LENGTH} printable characters."]})
    return key


def _claim(*, request, key: str, fingerprint: str) -> tuple[IdempotencyRecord | None, Response | None]:
    """Either claim the key (returns the new record) or answer from the existing one."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=request.user, key=key, method=request.method, path=request.path, request_sha256=fingerprint
                )
            return record, None
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if existing is None:  # freed between our insert and this read: try once more
                continue
            if (existing.method, existing.path, existing.request_sha256) != (request.method, request.path, fingerprint):
                raise UnprocessableContent(
                    "This Idempotency-Key was already used with a different request; use a new key.",
                    code="idempotency_key_reused",
                ) from None
            if existing.is_complete:
                return None, _replay(existing)
            if existing.created_at < timezone.now() - STALE_AFTER:
                IdempotencyRecord.objects.filter(pk=existing.pk, response_status__isnull=True).delete()
                continue
            exc = Conflict(
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                code="idempotency_request_in_progress",
            )
            exc.wait = 1
            raise exc from None
    raise Conflict("The Idempotency-Key is contended; retry shortly.", code="idempotency_request_in_progress")


def _replay(record: IdempotencyRecord) -> Response:
    data = json.loads(record.response_body) if record.response_body else None
    response = Response(data, status=record.response_status, headers=record.response_headers)
    response[REPLAYED_HEADER] = "true"
    return response


def _store(record: IdempotencyRecord, response: Response) -> None:
    body = json.dumps(response.data, cls=JSONEncoder) if response.data is not None else ""
    headers = {name: response[name] for name in _REPLAYED_RESPONSE_HEADERS if response.has_header(name)}
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        response_status=response.status_code,
        response_body=body,
        response_headers=headers,
        completed_at=timezone.now(),
    )


def idempotent(view_method):
    """Make a creating viewset method honour the `Idempotency-Key` header (see module doc)."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = _validated_key(request)
        if key is None or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        record, replay = _claim(request=request, key=key, fingerprint=request_fingerprint(request))
        if replay is not None:
            return replay
        try:
            response = view_method(self, request, *args, **kwargs)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if 200 <= response.status_code < 300:
            _store(record, response)
        else:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return response

    wrapper.idempotent = True
    return wrapper
