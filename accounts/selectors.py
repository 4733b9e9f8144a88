"""Account reads shared by pages, the API and other apps."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.compiled_query import CompiledQuery

from .models import PersonalAccessToken, User


def user_get_by_email(email: str) -> User | None:
    """The account with this e-mail address, compared case-insensitively (as sign-in does)."""
    return User.objects.filter(email__iexact=email).first()


def name_or_email_contains(text: str, *, prefix: str = "") -> Q:
    """The one rule for finding a person by what someone typed: their name or e-mail address
    contains the text, case-insensitively. `prefix` reaches the user through a relation
    ("user__", "student__"). Callers narrow to a cohort first, so the match runs over that
    cohort's members only, never over every account."""
    text = text.strip()
    return Q(**{f"{prefix}name__icontains": text}) | Q(**{f"{prefix}email__icontains": text})


def tokens_of(user: User, *, active: bool | None = None) -> QuerySet[PersonalAccessToken]:
    """The person's access tokens, newest first; only the usable (True) or the revoked and
    expired ones (False) when asked."""
    tokens = PersonalAccessToken.objects.filter(user=user).order_by("-created_at", "-pk")
    if active is None:
        return tokens
    now = timezone.now()
    return tokens.usable_at(now) if active else tokens.unusable_at(now)


def token_get_for_owner(user: User, pk: int) -> PersonalAccessToken:
    """One of the person's own tokens; 404 for anyone else's."""
    return get_object_or_404(tokens_of(user), pk=pk)


# The row Django's ModelBackend.get_user reads for a session's user, compiled once per process:
# the signed-in fast path reads it on every answer, in one statement with the person's cohorts
# and unread count (courseplatform/viewer.py), and makes the instance with its converters.
USER_BY_ID = CompiledQuery(lambda user_id: User._default_manager.filter(pk=user_id))
