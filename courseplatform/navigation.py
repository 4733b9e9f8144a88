from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from accounts.models import User
from cohorts.models import Membership
from core.compiled_query import CompiledQuery
from notifications.selectors import unread_count_subquery


def navigation(request: HttpRequest) -> dict:
    """What the shared navigation needs to know about the signed-in person: their roles and
    unread notifications, in one query (once per request: a cached page reads it for its key,
    layout_part, and the template again when it is made)."""
    found = getattr(request, "_navigation", None)
    if found is None:
        found = request._navigation = _navigation(request)
    return found


def layout_part(request: HttpRequest) -> tuple:
    """What the layout shows about the viewer, for the key of a cached page (core/pagecache.py):
    the navigation's values and the name on the profile link."""
    user = request.user
    return (tuple(navigation(request)["nav"].items()), user.display_name if user.is_authenticated else "")


def _navigation_row(user_id: int) -> QuerySet:
    def has_role(role: str) -> Exists:
        return Exists(Membership.objects.filter(user=OuterRef("pk"), role=role))

    return (
        User.objects.filter(pk=user_id)
        .annotate(
            is_student=has_role(Membership.Role.STUDENT),
            is_mentor=has_role(Membership.Role.MENTOR),
            is_instructor=has_role(Membership.Role.INSTRUCTOR),
            unread_notifications=unread_count_subquery(OuterRef("pk")),
        )
        .values("is_student", "is_mentor", "is_instructor", "unread_notifications")
        .order_by()
    )


# Every signed-in page runs it, and a cached page on every hit: compiled once per process.
_NAVIGATION_ROW = CompiledQuery(_navigation_row)


def _navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {"signed_in": False}}
    found = _NAVIGATION_ROW.dicts(user.pk)
    row = found[0] if found else {}
    roles = {role for role in Membership.Role.values if row.get(f"is_{role}")}
    return navigation_of(user, roles=roles, unread_notifications=int(row.get("unread_notifications") or 0))


def navigation_of(user: User, *, roles: set[str], unread_notifications: int) -> dict:
    """The navigation of a signed-in person with these membership roles and unread count: what
    the full path reads in one query (_navigation) and the fast path from the rows it read
    already (courseplatform/viewer.py), so both make the same layout part."""
    values = {
        "is_student": Membership.Role.STUDENT in roles,
        "is_mentor": Membership.Role.MENTOR in roles,
        "is_instructor": Membership.Role.INSTRUCTOR in roles,
        "unread_notifications": unread_notifications,
    }
    # Insights (insights.policies): a cohort's mentors and instructors; staff for the coverage.
    shows_insights = values["is_mentor"] or values["is_instructor"] or user.is_staff or user.is_superuser
    return {"nav": {"signed_in": True, "is_staff": user.is_staff, "shows_insights": shows_insights, **values}}


def navigation_known(request: HttpRequest, navigation_values: dict) -> None:
    """Let this request's navigation answer these values (read by the fast path) instead of
    reading them again."""
    request._navigation = navigation_values
