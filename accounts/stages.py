"""allauth's sign-in steps, adapted: the second factor after a single sign-on."""

from allauth.mfa.stages import AuthenticateStage
from django.http import HttpRequest

from .policies import second_factor_asserted_by_provider

# Set at every sign-in: True when the provider's assertion of a second factor stands in for
# ours (RequireStaffMFAMiddleware then does not send staff to enrol one either).
PROVIDER_SECOND_FACTOR_SESSION_KEY = "accounts.second_factor_by_provider"


class SecondFactorStage(AuthenticateStage):
    """allauth's "enter your code" step, which also follows a single sign-on, except when the
    provider asserted a second factor of its own and the settings trust it
    (accounts.policies.second_factor_asserted_by_provider)."""

    def _should_handle(self, request: HttpRequest) -> bool:
        sociallogin = (self.login.signal_kwargs or {}).get("sociallogin")
        claims = sociallogin.account.extra_data.get("id_token") or {} if sociallogin is not None else {}
        asserted = bool(claims) and second_factor_asserted_by_provider(claims)
        request.session[PROVIDER_SECOND_FACTOR_SESSION_KEY] = asserted
        if asserted:
            return False
        return super()._should_handle(request)
