from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from cohorts.models import Membership
from notifications.selectors import unread_count_subquery


def navigation(request: HttpRequest) -> dict:
    """What the shared navigation needs to know about the signed-in person: their roles and
    unread notifications, in one query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {"signed_in": False}}

    def has_role(role: str) -> Exists:
        return Exists(Membership.objects.filter(user=OuterRef("pk"), role=role))

    row = (
        user._meta.model.objects.filter(pk=user.pk)
        .annotate(
            is_student=has_role(Membership.Role.STUDENT),
            is_mentor=has_role(Membership.Role.MENTOR),
            is_instructor=has_role(Membership.Role.INSTRUCTOR),
            unread_notifications=unread_count_subquery(OuterRef("pk")),
        )
        .values("is_student", "is_mentor", "is_instructor", "unread_notifications")
        .order_by()
        .first()
    ) or {"is_student": False, "is_mentor": False, "is_instructor": False, "unread_notifications": 0}
    # Insights (insights.policies): a cohort's mentors and instructors; staff for the coverage.
    shows_insights = row["is_mentor"] or row["is_instructor"] or user.is_staff or user.is_superuser
    return {"nav": {"signed_in": True, "is_staff": user.is_staff, "shows_insights": shows_insights, **row}}
