from django.conf import settings
from rest_framework import exceptions, permissions

from accounts.models import PersonalAccessToken
from accounts.policies import must_enrol_second_factor


class TokenScopeAllowsMethod(permissions.BasePermission):
    """A read-only personal access token may only read; session users are not limited here."""

    message = "This access token is read-only; create a read-write token to change data."
    code = "token_read_only"

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if isinstance(token, PersonalAccessToken) and token.is_read_only:
            return request.method in permissions.SAFE_METHODS
        return True

    @classmethod
    def check(cls, request, view) -> None:
        """Raise the 403 with its own code (`token_read_only`), whichever permission asks."""
        if not cls().has_permission(request, view):
            raise exceptions.PermissionDenied(cls.message, code=cls.code)


def check_second_factor(request) -> None:
    """Staff and instructors who have not enrolled a second factor may not use the API, on any
    endpoint, public ones included. Pages send such people to enrol (accounts/middleware.py),
    but a token is read after the middleware has run: every permission class of the API calls
    this, so no endpoint can skip the rule by choosing another class."""
    user = request.user
    if user.is_authenticated and settings.MFA_REQUIRED_FOR_STAFF and must_enrol_second_factor(user):
        raise exceptions.PermissionDenied(
            "Your role requires two-factor authentication: set up an authenticator app at "
            "/accounts/2fa/totp/activate/ before using the API.",
            code="second_factor_required",
        )


class IsAuthenticatedWithScope(permissions.IsAuthenticated):
    """The default for every endpoint: signed in, and the token's scope allows the method."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        TokenScopeAllowsMethod.check(request, view)
        check_second_factor(request)
        return True


class ReadableByAnyoneWithScope(permissions.BasePermission):
    """Public reads (the curriculum pages need no account); writes still follow the scope."""

    allows_anonymous = True

    def has_permission(self, request, view) -> bool:
        TokenScopeAllowsMethod.check(request, view)
        # Anonymous visitors read freely; a signed-in person is held to the same second-factor
        # rule as everywhere else (an unenrolled staff token used to read private portfolios here).
        check_second_factor(request)
        return True
