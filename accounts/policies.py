"""Who may do what with accounts."""

from collections.abc import Collection

from allauth.mfa.models import Authenticator
from django.conf import settings

from .models import User
from .roles import roles_of


def must_use_second_factor(user: User, *, roles: Collection[str] | None = None) -> bool:
    """Staff and instructors hold other people's data; they sign in with two factors. `roles`:
    the user's roles when the caller has read them already (else one query)."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return "instructor" in (roles_of(user) if roles is None else roles)


def must_enrol_second_factor(user: User, *, roles: Collection[str] | None = None) -> bool:
    """Someone who must use a second factor and has no authenticator app yet."""
    if not must_use_second_factor(user, roles=roles):
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def can_use_admin(user: User) -> bool:
    """Django's admin is for active staff (who sign in through allauth like everyone else)."""
    return user.is_authenticated and user.is_active and user.is_staff


def second_factor_asserted_by_provider(id_token: dict) -> bool:
    """Whether a single sign-on counts as two-factor: only when OIDC_TRUST_PROVIDER_SECOND_FACTOR
    is on and the provider's ID token names a second factor it checked (an `amr` method in
    OIDC_SECOND_FACTOR_AMR, or its `acr` in OIDC_SECOND_FACTOR_ACR)."""
    if not settings.OIDC_TRUST_PROVIDER_SECOND_FACTOR:
        return False
    methods = id_token.get("amr") or []
    if isinstance(methods, str):
        methods = [methods]
    return bool(set(methods) & set(settings.OIDC_SECOND_FACTOR_AMR)) or (
        id_token.get("acr") in set(settings.OIDC_SECOND_FACTOR_ACR)
    )
