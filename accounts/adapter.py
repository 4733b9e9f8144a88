"""allauth, adapted to this platform."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import BaseThrottle

from . import signin_guard


def client_address(request: HttpRequest) -> str | None:
    """The client's address behind TRUSTED_PROXY_COUNT proxies, by DRF's own rule (the
    throttles' `get_ident`, with NUM_PROXIES set from the same setting): the Nth entry of
    X-Forwarded-For from the right, or the leftmost when the chain is shorter (a request that
    reached an inner proxy directly), never an error."""
    return BaseThrottle().get_ident(request) or None


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": (
            "Too many failed sign-in attempts from this device. Wait a few minutes, or reset your password."
        ),
        "too_many_login_attempts_address": (
            "Too many failed sign-in attempts from your network. Try again in 15 minutes, or reset your password."
        ),
        "too_many_login_attempts_account": (
            "This account has had too many failed sign-in attempts from other places, so it only accepts "
            "sign-ins from devices and networks it has been used from before. Sign in from one of those, "
            "wait an hour, or reset your password (the owner has been told by e-mail)."
        ),
    }

    def get_login_stages(self) -> list[str]:
        # The second-factor step knows about single sign-on (accounts/stages.py).
        return [
            "accounts.stages.SecondFactorStage" if stage == "allauth.mfa.stages.AuthenticateStage" else stage
            for stage in super().get_login_stages()
        ]

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's own rule raises ImproperlyConfigured (a 500 on every sign-in) when the
        # chain is shorter than the trusted count; ours answers like the API's throttles.
        address = client_address(request)
        if not address:
            raise PermissionDenied("Unable to determine the client's address.")
        return address

    # --- Failed sign-ins: limited without locking the owner out (accounts/signin_guard.py) ---

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        login = credentials.get("email", credentials.get("username", "")) or ""
        source = signin_guard.attempt_source(request, login=login, address=self.get_client_ip(request))
        self._signin_source = source
        try:
            # allauth rolls this usage back when the password is right.
            self._login_failed_rl_usage = signin_guard.consume_attempt(request, source)
        except signin_guard.SignInRefused as refused:
            signin_guard.record_failure(source, refused=True)
            if refused.reason == "account" and signin_guard.should_warn_by_email(source):
                self.send_mail("account/email/signin_attempts", source.login, {"address": source.address})
            code = {
                "address": "too_many_login_attempts_address",
                "account": "too_many_login_attempts_account",
            }.get(refused.reason, "too_many_login_attempts")
            raise self.validation_error(code) from None

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        source = getattr(self, "_signin_source", None)
        if source is not None:
            signin_guard.record_failure(source, refused=False)

    def post_login(self, request: HttpRequest, user, **kwargs: Any) -> HttpResponse:
        response = super().post_login(request, user, **kwargs)
        address = client_address(request)
        if address:
            signin_guard.remember_sign_in(request, response, user_pk=user.pk, address=address)
        tally = signin_guard.take_failure_tally(user.pk)
        if tally:
            attempts = tally["failed"] + tally["refused"]
            places = ", ".join(tally["addresses"])
            messages.warning(
                request,
                f"Since you last signed in, {attempts} attempt{'s' if attempts != 1 else ''} to sign in to your "
                f"account failed (from {places}). If that was not you, your password held; consider changing it "
                "and turning on two-factor authentication on your profile.",
            )
        return response
