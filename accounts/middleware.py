import time

from allauth.account import app_settings as account_settings
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY, get_authentication_records
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from api.exceptions import problem_response

from .policies import must_enrol_second_factor
from .sso import SIGN_ON_PATH_PREFIXES, provider_origins
from .stages import PROVIDER_SECOND_FACTOR_SESSION_KEY

# Paths a person without a second factor can still reach: enrolling one, signing out,
# and static files (the probes are answered before any of this, core/middleware.py).
_EXEMPT_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/accounts/reauthenticate/",
    "/static/",
)
_ENROL_WARNING = "Your role requires two-factor authentication. Set up an authenticator app to continue."


class RequireStaffMFAMiddleware:
    """Send staff and instructors to TOTP enrolment until they have a second factor; API
    clients get a 403 problem document saying so instead of a redirect to a page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.MFA_REQUIRED_FOR_STAFF or not request.user.is_authenticated:
            return self.get_response(request)
        enrol_path = reverse("mfa_activate_totp")
        if request.path != enrol_path and request.path.startswith(_EXEMPT_PREFIXES):
            return self.get_response(request)
        if request.session.get(PROVIDER_SECOND_FACTOR_SESSION_KEY) or not must_enrol_second_factor(request.user):
            return self.get_response(request)
        _count_password_sign_in_as_reauthentication(request)
        if request.path == enrol_path:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return problem_response(
                request,
                status_code=403,
                detail=f"Your role requires two-factor authentication. Set up an authenticator app at "
                f"{enrol_path} (signed in on the site), then try again.",
                code="second_factor_required",
            )
        _leave_one_banner(request)
        return redirect(enrol_path)


def _count_password_sign_in_as_reauthentication(request) -> None:
    """allauth asks for the password again before a second factor is added, and only counts
    an explicit reauthentication, never the sign-in itself: without this, someone sent here
    straight after signing in types their password twice in a row. Their password sign-in
    counts as the reauthentication, and only inside allauth's window
    (ACCOUNT_REAUTHENTICATION_TIMEOUT) counted from the sign-in, so later in the session
    changing a factor asks again."""
    records = get_authentication_records(request, request.user)
    if not records:
        return
    sign_in = records[-1]
    if sign_in.get("method") != "password" or sign_in.get("reauthenticated"):
        return
    if time.time() - sign_in["at"] >= account_settings.REAUTHENTICATION_TIMEOUT:
        return
    request.session[AUTHENTICATION_METHODS_SESSION_KEY] = [*records[:-1], {**sign_in, "reauthenticated": True}]


def _leave_one_banner(request) -> None:
    """The enrolment page shows the warning once, not under "Successfully signed in": for
    this role the sign-in is not finished until a second factor is set up."""
    pending = list(messages.get_messages(request))  # takes them out of the storage
    for message in pending:
        if message.level != messages.SUCCESS and message.message != _ENROL_WARNING:
            messages.add_message(request, message.level, message.message, extra_tags=message.extra_tags)
    messages.warning(request, _ENROL_WARNING)


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


class SignOnFormActionMiddleware:
    """Content-Security-Policy's form-action 'self' also governs where a form's redirect may
    lead, so the "Continue to your institution" form (a POST answered by a redirect to the
    provider) would be blocked. On the sign-on pages only, the policy also allows the
    configured providers' origins (accounts.sso.provider_origins). Sits below the CSP
    middleware, which merges the update into the header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(SIGN_ON_PATH_PREFIXES):
            origins = provider_origins(request)
            if origins:
                response._csp_update = {"form-action": origins}
        return response
