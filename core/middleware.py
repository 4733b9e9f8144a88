"""Middleware of the platform as a whole."""

import ipaddress
from functools import lru_cache

from django.conf import settings
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


# What a proxy of ours adds; from anyone else these are the client's own inventions.
FORWARDING_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)


@lru_cache(maxsize=16)
def _networks(addresses: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(address, strict=False) for address in addresses)


def is_trusted_proxy(address: str | None) -> bool:
    """The immediate peer is one of TRUSTED_PROXY_ADDRESSES."""
    try:
        peer = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(peer in network for network in _networks(tuple(settings.TRUSTED_PROXY_ADDRESSES)))


class UntrustedForwardingMiddleware:
    """With TRUSTED_PROXY_COUNT above 0, X-Forwarded-For (and -Proto, -Host…) is believed only
    when the request came from one of TRUSTED_PROXY_ADDRESSES.

    The rate limits (sign-in, API throttles) key clients by the address that X-Forwarded-For
    names. A process that is reachable directly, beside its proxy, would otherwise let any
    client choose that address, and with it a fresh allowance per request. Dropping the
    headers from other peers leaves their real address (REMOTE_ADDR) to every reader below,
    so the rule holds in one place. Requests are not refused: health checks and an operator's
    curl reach the process directly and must still work."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.TRUSTED_PROXY_COUNT and not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for header in FORWARDING_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
