"""Who may do what with accounts."""

from allauth.mfa.models import Authenticator

from .models import User
from .roles import roles_of


def must_use_second_factor(user: User) -> bool:
    """Staff and instructors hold other people's data; they sign in with two factors."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return "instructor" in roles_of(user)


def must_enrol_second_factor(user: User) -> bool:
    """Someone who must use a second factor and has no authenticator app yet."""
    if not must_use_second_factor(user):
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def can_use_admin(user: User) -> bool:
    """Django's admin is for active staff (who sign in through allauth like everyone else)."""
    return user.is_authenticated and user.is_active and user.is_staff
