"""allauth, adapted to this platform."""

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle


def client_address(request: HttpRequest) -> str | None:
    """The client's address behind TRUSTED_PROXY_COUNT proxies, by DRF's own rule (the
    throttles' `get_ident`, with NUM_PROXIES set from the same setting): the Nth entry of
    X-Forwarded-For from the right, or the leftmost when the chain is shorter (a request that
    reached an inner proxy directly), never an error."""
    return BaseThrottle().get_ident(request) or None


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's own rule raises ImproperlyConfigured (a 500 on every sign-in) when the
        # chain is shorter than the trusted count; ours answers like the API's throttles.
        address = client_address(request)
        if not address:
            raise PermissionDenied("Unable to determine the client's address.")
        return address
