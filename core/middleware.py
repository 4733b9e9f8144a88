"""Middleware of the platform as a whole."""

from django.http import HttpRequest, HttpResponse

from . import views

_PROBES = {"/healthz": views.healthz, "/readyz": views.readyz}


class ProbeMiddleware:
    """Answers /healthz and /readyz (they have no URL pattern: this is their only route)
    before anything looks at the Host header or the scheme.

    Container and load-balancer health checks call the process by its address
    (http://127.0.0.1:8000/healthz), which is neither an allowed host nor HTTPS in production;
    going through host validation and the HTTPS redirect would fail them for no fault of the
    process. The probes read nothing from the request, so skipping those checks is safe.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = _PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        response = probe(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
