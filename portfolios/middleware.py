"""The public portfolio page for signed-out visitors, answered from the cache before the
session, authentication, CSRF, messages and CSP middleware run.

The page is the same for everyone who may see it (portfolios/views.py), and what the outside
world reads most. Served by the view, a cached page still paid for the whole middleware stack,
which made it slower than a "hello" view. Here, a request that can only be answered with the
cached copy is answered at once, with exactly the headers the full path gives it:

- only GET and HEAD of /p/<slug>/ without a session cookie (a signed-in visitor, who might be
  the owner or their mentor and see a private page, always takes the full path);
- only when both the slug's head and the rendered page are in the cache, and the head says the
  portfolio is public or unlisted; anything else (a miss, a private or unknown slug, Redis
  away: portfolios.cache answers a miss then) goes down the full path, which fills the cache;
- the same entries as the view, so publishing, unpublishing and privacy changes invalidate
  both at once (portfolios/cache.py).

It sits after SecurityMiddleware (so HTTPS redirects, HSTS, nosniff, the referrer and opener
policies apply as before) and adds what the middleware it skips would have added: the
Content-Security-Policy (built once, core.middleware.default_csp), X-Frame-Options, and
`Vary: Cookie` (the full path reads the session, and a signed-in visitor may get another page).

A page answered here is still counted per view in the Prometheus series (requests, responses
by status, latency), as if django-prometheus's after-middleware had seen it: it is the page
the key-pages SLO watches most (docs/operations.md).
"""

import functools
import re

from csp.constants import HEADER, HEADER_REPORT_ONLY
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import resolve
from django.utils.cache import patch_vary_headers
from django_prometheus.middleware import PrometheusAfterMiddleware

from core.middleware import default_csp

from . import cache as page_cache
from .models import Portfolio
from .urls import PUBLIC_PAGE_PATH
from .views import cached_page_response

_PUBLIC_PAGE = re.compile(PUBLIC_PAGE_PATH)


def cached_public_page(request: HttpRequest) -> HttpResponse | None:
    """The response for a signed-out visitor's request of a cached world-visible page, or
    None when the full path must answer."""
    if request.method not in ("GET", "HEAD") or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    match = _PUBLIC_PAGE.match(request.path_info[1:])
    if match is None:
        return None
    slug = match["slug"]
    head = page_cache.head_get(slug)
    if not isinstance(head, dict):
        return None
    if not Portfolio.visibility_is_world_visible(head["visibility"]):
        return None
    cached = page_cache.page_get(page_cache.page_key(head["pk"], head["version"], head["updated_at"]))
    if cached is None:
        return None
    response = cached_page_response(request, head, cached)
    for header, report_only in ((HEADER, False), (HEADER_REPORT_ONLY, True)):
        policy = default_csp(report_only=report_only)
        if policy:
            response[header] = policy
    response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    patch_vary_headers(response, ("Cookie",))
    response["Content-Length"] = str(len(response.content))  # as CommonMiddleware does
    return response


@functools.lru_cache(maxsize=1024)
def _resolved(path: str):
    """The view of a public page's path, resolved once per path and process: the metrics read
    only its name, and resolving the URL again on every request was a tenth of the page's cost."""
    return resolve(path)


class PublicPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.metrics = (
            PrometheusAfterMiddleware(get_response)
            if "django_prometheus.middleware.PrometheusAfterMiddleware" in settings.MIDDLEWARE
            else None
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = cached_public_page(request)
        if response is None:
            return self.get_response(request)
        if self.metrics is not None:
            request.resolver_match = _resolved(request.path_info)  # the view's name labels the series
            self.metrics.process_request(request)
            self.metrics.process_view(request, request.resolver_match.func)
            self.metrics.process_response(request, response)
        return response
