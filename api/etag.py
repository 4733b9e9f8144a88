"""Strong ETags for reads whose body is worth revalidating (the curriculum, portfolios).

A viewset that mixes in `ETagMixin` answers GET and HEAD with `ETag: "<sha256 of the
body>"`; a request whose `If-None-Match` names that tag gets `304 Not Modified` with no
body. The tag is derived from the exact bytes sent, so it changes whenever anything the
client would see changes (including what the signed-in person may see)."""

import hashlib

from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.response import Response


def body_etag(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:40] + '"'


def _matches(header: str, etag: str) -> bool:
    # If-None-Match uses the weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored.
    tags = parse_etags(header)
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


class ETagMixin:
    etag_enabled = True

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != status.HTTP_200_OK:
            return response
        response.render()
        etag = body_etag(response.content)
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        if _matches(request.headers.get("If-None-Match", ""), etag):
            not_modified = Response(status=status.HTTP_304_NOT_MODIFIED)
            not_modified = super().finalize_response(request, not_modified, *args, **kwargs)
            not_modified["ETag"] = etag
            not_modified["Cache-Control"] = "private, no-cache"
            return not_modified
        return response
