"""Process and readiness probes for load balancers and orchestrators; the markdown preview."""

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from rest_framework.throttling import UserRateThrottle

from core.markdown import render_markdown


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving; says nothing about its dependencies."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: the database answers, and Redis too when one is configured."""
    checks = {"database": _check_database}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported by name
            results[name] = f"error: {exc.__class__.__name__}"
    ready = all(value == "ok" for value in results.values())
    failed = [name for name, value in results.items() if value != "ok"]
    body = {"status": "ok" if ready else "unavailable", "checks": results, "failed": failed}
    return JsonResponse(body, status=200 if ready else 503)


class _PreviewRate(UserRateThrottle):
    """Per signed-in person, in the shared cache. Generous for someone switching between the
    Write and Preview tabs, tight enough that the endpoint is no free markdown renderer."""

    scope = "markdown_preview"
    rate = "60/min"


# As long as the longest markdown field (the workspace sections).
PREVIEW_MAX_CHARS = 50_000


@require_POST
@never_cache
def markdown_preview(request: HttpRequest) -> HttpResponse:
    """The HTML a markdown field will show, rendered by the one sanitiser (core.markdown),
    as a fragment for the Preview tab (static/js/app.js). POST because the text can be long;
    it changes nothing. CSRF-protected like every POST."""
    if not request.user.is_authenticated:
        return HttpResponse("Sign in to preview.", status=403, content_type="text/plain; charset=utf-8")
    throttle = _PreviewRate()
    if not throttle.allow_request(request, None):
        response = HttpResponse(
            "Too many previews in a minute; wait a moment and try again.",
            status=429,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(int(throttle.wait() or 60))
        return response
    text = request.POST.get("text", "")
    if len(text) > PREVIEW_MAX_CHARS:
        return HttpResponse(
            f"Too long to preview: at most {PREVIEW_MAX_CHARS:,} characters.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    html = render_markdown(text) if text.strip() else '<p class="muted">Nothing to preview yet.</p>'
    return HttpResponse(html, content_type="text/html; charset=utf-8")
