from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from .policies import must_use_second_factor

# Paths a person without a second factor can still reach: enrolling one, signing out,
# the probes and static files.
_EXEMPT_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/accounts/reauthenticate/",
    "/healthz",
    "/readyz",
    "/static/",
)


class RequireStaffMFAMiddleware:
    """Send staff and instructors to TOTP enrolment until they have a second factor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.MFA_REQUIRED_FOR_STAFF and self._needs_enrolment(request):
            messages.warning(
                request, "Your role requires two-factor authentication. Set up an authenticator app to continue."
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    def _needs_enrolment(self, request) -> bool:
        user = request.user
        if not user.is_authenticated or request.path.startswith(_EXEMPT_PREFIXES):
            return False
        if not must_use_second_factor(user):
            return False
        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class UserTimeZoneMiddleware:
    """Dates and times on pages in the signed-in person's own time zone (their profile's);
    UTC for everyone else and for the API, whose clients get the same offsets whether they
    come with a session or a token. Pages that must show another zone (a cohort's schedule)
    say so explicitly. Every request sets the zone for its whole run, so nothing one request
    activated can stay behind on the thread for the next."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        zone = None
        if not request.path.startswith("/api/") and user.is_authenticated and user.time_zone:
            zone = user.time_zone
        with timezone.override(zone):
            return self.get_response(request)
