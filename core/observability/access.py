"""Who may read the metrics: a bearer token (METRICS_TOKEN) or a peer address in
METRICS_ALLOWED_NETWORKS. With neither configured, nobody: the endpoint answers 404."""

import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings

# A request that went through a proxy carries one of these. The address rule is about the
# immediate peer, and a proxy on an allowed address would otherwise open the metrics to
# everyone it forwards.
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


@lru_cache(maxsize=16)
def _networks(addresses: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(address, strict=False) for address in addresses)


def _peer_allowed(meta: dict) -> bool:
    if any(meta.get(header) for header in PROXY_HEADERS):
        return False
    try:
        peer = ipaddress.ip_address(meta.get("REMOTE_ADDR") or "")
    except ValueError:
        return False
    return any(peer in network for network in _networks(tuple(settings.METRICS_ALLOWED_NETWORKS)))


def scrape_decision(meta: dict) -> int:
    """200 (may scrape), 403 (a bearer token, but the wrong one) or 404 (nothing to see).
    `meta` is a WSGI environ or Django's request.META (the same keys)."""
    authorization = meta.get("HTTP_AUTHORIZATION", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        token = settings.METRICS_TOKEN
        if token and hmac.compare_digest(credentials.strip().encode(), token.encode()):
            return 200
        return 403
    return 200 if _peer_allowed(meta) else 404
