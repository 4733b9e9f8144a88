"""Framing for LTI-launched sessions only.

Every page forbids framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`). A session
that an LTI launch signed in remembers its platform's origin; its pages may then be framed by
that origin alone (`frame-ancestors 'self' <origin>`, no X-Frame-Options, which cannot name
an origin), and its session and CSRF cookies are sent in a third-party iframe
(`SameSite=None; Secure`, over HTTPS only: browsers refuse `SameSite=None` without `Secure`).
Any other session, and any page before the launch, stays unframeable."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse

FRAME_ORIGIN_SESSION_KEY = "lti.frame_origin"
_FRAME_ANCESTORS = re.compile(r"frame-ancestors [^;]*")


def allow_framing(response: HttpResponse, origin: str) -> None:
    """The response may be framed by `origin` (and by our own pages)."""
    if "X-Frame-Options" in response:
        del response["X-Frame-Options"]
    response.xframe_options_exempt = True
    for header in ("Content-Security-Policy", "Content-Security-Policy-Report-Only"):
        policy = response.get(header)
        if policy and "frame-ancestors" in policy:
            response[header] = _FRAME_ANCESTORS.sub(f"frame-ancestors 'self' {origin}", policy)


def third_party_cookies(request: HttpRequest, response: HttpResponse) -> None:
    """The session and CSRF cookies set by this response work inside the platform's iframe."""
    if not request.is_secure():
        return
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
        morsel = response.cookies.get(name)
        if morsel is not None and morsel.value:
            morsel["samesite"] = "None"
            morsel["secure"] = True


class LtiFramingMiddleware:
    """Placed above the session, CSRF, X-Frame-Options and CSP middleware, so their headers
    and cookies are already on the response it adjusts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session the page already read (every page with the navigation does): asking
        # an untouched one would add a query to responses that never needed the session.
        origin = session.get(FRAME_ORIGIN_SESSION_KEY) if session is not None and session.accessed else None
        if origin:
            allow_framing(response, origin)
            third_party_cookies(request, response)
        return response
