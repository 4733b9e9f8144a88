"""Responses that must be the same wherever they are built."""

from typing import BinaryIO

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from core.storage import open_for_download

# Nothing a user uploaded (or a report we built from what users typed) may run as a page of
# this site: a browser that renders the file anyway gets a sandboxed, script-less document.
SANDBOX_CSP = "sandbox; default-src 'none'"
PRIVATE = "private, no-store"


def attachment_response(
    source: FieldFile | BinaryIO,
    *,
    filename: str,
    content_type: str,
    cache_control: str = PRIVATE,
    inline_styles: bool = False,
) -> FileResponse:
    """A download that can never be mistaken for a page: served as an attachment with the
    type the caller vouches for, nosniff (so the browser does not guess another type), a
    sandbox Content-Security-Policy, and private, uncached by default. A stored file missing
    from storage is a 404, not a 500. `inline_styles` lets an HTML report keep its own
    stylesheet (still no scripts, no loads)."""
    handle, size = source, None
    if isinstance(source, FieldFile):
        try:
            handle, size = open_for_download(source)
        except FileNotFoundError:
            raise Http404("The file is missing from storage.") from None
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    if size is not None:
        response["Content-Length"] = str(size)
    return as_safe_attachment(response, cache_control=cache_control, inline_styles=inline_styles)


def as_safe_attachment(
    response: HttpResponseBase,
    *,
    filename: str | None = None,
    cache_control: str = PRIVATE,
    inline_styles: bool = False,
) -> HttpResponseBase:
    """The same headers on a response built another way (a CSV streamed while it is written):
    attachment under `filename` (when the response does not name one already), nosniff,
    sandbox CSP, and the caching asked for."""
    if filename is not None:
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP + ("; style-src 'unsafe-inline'" if inline_styles else "")
    response["Cache-Control"] = cache_control
    return response
