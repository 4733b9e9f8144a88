"""The request id: taken from the proxy's X-Request-ID when the proxy is one of ours, made
otherwise, and logged on every line of the request and of the tasks it enqueues. (It is not
echoed in the response: the proxy that made it can log it beside its own line.)"""

import re
import time

from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty
from django_structlog import signals

from core.middleware import is_trusted_proxy

# What a proxy's id looks like (nginx's $request_id is 32 hex digits, others send UUIDs);
# anything else, longer, or with spaces or quotes, is replaced by one of ours.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def _trusted_request_id(request: HttpRequest) -> str | None:
    candidate = request.META.get("HTTP_X_REQUEST_ID", "")
    if not (settings.TRUSTED_PROXY_COUNT and is_trusted_proxy(request.META.get("REMOTE_ADDR"))):
        return None
    return candidate if REQUEST_ID_PATTERN.fullmatch(candidate) else None


class RequestIdMiddleware:
    """Placed just before django-structlog's RequestMiddleware (which trusts whatever
    X-Request-ID it finds): keeps the header only from a trusted proxy and only when it looks
    like an id, so a client cannot write into our logs or pose as another request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request._observability_started = time.perf_counter()
        if _trusted_request_id(request) is None:
            request.META.pop("HTTP_X_REQUEST_ID", None)
        return self.get_response(request)


def _loaded_user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id if the request already loaded the user (a page, or DRF's
    token authentication, which sets it on the request); never a query of its own."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject):
        user = user.__dict__.get("_wrapped", empty)
        if user is empty:
            return None
    return user.pk if getattr(user, "is_authenticated", False) else None


def _route(request: HttpRequest) -> str:
    """The URL pattern that answered ("/work/<int:pk>/"), the same for every id, so lines
    can be grouped by it; DRF's router patterns are regular expressions, shown without
    their anchors. Empty when no pattern matched (a 404)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    return "/" + match.route.replace("^", "").removesuffix("$")


@receiver(signals.bind_extra_request_finished_metadata)
def _bind_route_and_duration(request, logger, response, log_kwargs, **kwargs) -> None:
    started = getattr(request, "_observability_started", None)
    log_kwargs["route"] = _route(request)
    user_id = _loaded_user_id(request)
    if user_id is not None:
        log_kwargs["user_id"] = user_id
    if started is not None:
        log_kwargs["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
