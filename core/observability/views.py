"""GET /metrics for Prometheus (answered by core.middleware.ProbeMiddleware, before host
validation: Prometheus scrapes each pod by its address)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .access import scrape_decision
from .metrics import exposition


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    status = scrape_decision(request.META)
    if status == 404:
        return HttpResponse("Not found.", status=404, content_type="text/plain; charset=utf-8")
    if status == 403:
        return HttpResponse("Forbidden.", status=403, content_type="text/plain; charset=utf-8")
    body, content_type = exposition(include_scrape_gauges=True)
    return HttpResponse(body, content_type=content_type)
