"""allauth, adapted to this platform."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's address behind TRUSTED_PROXY_COUNT proxies, by the rule DRF's throttles use
    (`NUM_PROXIES`): the Nth entry of X-Forwarded-For from the right, or the leftmost when the
    chain is shorter (a request that reached an inner proxy directly), never an error."""
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.headers.get("x-forwarded-for")
    if count and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",")]
        return entries[-min(count, len(entries))] or None
    return request.META.get("REMOTE_ADDR") or None


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's own rule raises ImproperlyConfigured (a 500 on every sign-in) when the
        # chain is shorter than the trusted count; ours answers like the API's throttles.
        address = client_address(request)
        if not address:
            raise PermissionDenied("Unable to determine the client's address.")
        return address
