"""Middleware of the platform as a whole."""

import http
import ipaddress
from functools import lru_cache

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from . import views
from .observability import views as observability_views

# /metrics is here too: Prometheus scrapes each process by its address, like a health check.
_PROBES = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": observability_views.metrics}


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


# --- Content-Security-Policy, built once ---------------------------------------------------

_default_policies: dict[bool, str] = {}


def default_csp(*, report_only: bool = False) -> str:
    """The policy from the settings as a header value ("" for none), built once per process.
    django-csp rebuilt it from the settings for both headers on every response."""
    policy = _default_policies.get(report_only)
    if policy is None:
        policy = _default_policies[report_only] = build_policy(report_only=report_only)
    return policy


@receiver(setting_changed)
def _forget_default_policies(*, setting: str, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _default_policies.clear()


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware, but a response without its own policy (no decorator, no nonce
    used: every page here, scripts are same-origin files) gets the prebuilt header. Anything
    else goes through django-csp unchanged."""

    def process_response(self, request: HttpRequest, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(
                hasattr(response, f"_csp_{part}{ro}") for part in ("config", "update", "replace") for ro in ("", "_ro")
            )
            or any(hasattr(response, name) for name in ("_csp_exempt", "_csp_exempt_ro"))
            or (
                response.status_code in (http.HTTPStatus.INTERNAL_SERVER_ERROR, http.HTTPStatus.NOT_FOUND)
                and settings.DEBUG
            )
        ):
            return super().process_response(request, response)
        for header, report_only, setting in (
            (HEADER, False, "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, True, "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            policy = default_csp(report_only=report_only)
            prefixes = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
            if policy and header not in response and not (prefixes and request.path_info.startswith(prefixes)):
                response[header] = policy
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
