import threading

from django.http import HttpRequest, JsonResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found as html_page_not_found
from django.views.defaults import server_error as html_server_error
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response

from .exceptions import problem_response


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Unknown /api/ paths answer with a problem document instead of the HTML 404 page."""
    detail = "No API endpoint at this path."
    if not request.path.endswith("/"):
        detail += " API paths end with a slash."
    return problem_response(request, status_code=404, detail=detail, code="not_found")


def page_not_found(request: HttpRequest, exception: Exception | None = None, template_name: str = "404.html"):
    """Django's handler404 for the whole site. Some /api/ paths never reach the catch-all
    route above (a URL pattern's `.` does not match a newline, and a view may raise Http404
    outside DRF), so the decision "problem document or HTML page" is made here by path."""
    if request.path.startswith("/api/"):
        return not_found(request)
    return html_page_not_found(request, exception, template_name=template_name)


def server_error(request: HttpRequest, template_name: str = "500.html"):
    """Django's handler500 for the whole site: a problem document for /api/ paths (errors
    that escape DRF, e.g. in middleware), the usual HTML page everywhere else.
    Wire it up in courseplatform/urls.py with `handler500 = "api.views.server_error"`."""
    if request.path.startswith("/api/"):
        return problem_response(
            request,
            status_code=500,
            detail="The server could not complete the request. The error has been logged.",
            code="server_error",
        )
    return html_server_error(request, template_name=template_name)


class SchemaGeneratedOnceView(SpectacularAPIView):
    """/api/schema/: the document is generated once per process and then served from memory.

    drf-spectacular's generator is not thread-safe: on a freshly started gunicorn worker with
    several threads, concurrent first requests each ran it and some answered 500. Generation
    now happens under a lock, at most once per (version, language); later requests only render
    the stored document. The schema depends on the code alone (SERVE_PUBLIC, no per-request
    servers), so a process never needs to regenerate it; tests/api/test_schema.py checks that
    the served document equals a fresh generation."""

    _lock = threading.Lock()
    _documents: dict[tuple[str | None, str | None], dict] = {}

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (version, translation.get_language())
        with self._lock:
            document = self._documents.get(key)
            if document is None:
                generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
                document = generator.get_schema(request=request, public=self.serve_public)
                self._documents[key] = document
        return Response(
            data=document,
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )
