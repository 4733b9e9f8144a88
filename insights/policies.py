"""Who may see a cohort's insights: its instructors and mentors (mentors only their assigned
students' rows) and platform admins; tuning the at-risk rules is managing the cohort. The
access functions fetch and check together and raise Http404 for missing and forbidden alike."""

from django.http import Http404

from accounts.models import User
from cohorts.models import Cohort, Membership
from cohorts.policies import can_manage_cohort, is_platform_admin
from cohorts.selectors import cohort_get_for_user


def _active(user: User) -> bool:
    return user.is_authenticated and user.is_active


def can_view_insights(user: User, cohort: Cohort) -> bool:
    """The cohort's mentors and instructors, and platform admins; never its students."""
    return is_platform_admin(user) or (_active(user) and Membership.objects.is_teacher(user=user, cohort=cohort))


def can_tune_at_risk_rules(user: User, cohort: Cohort) -> bool:
    """The cohort's instructors and platform admins (as for every other cohort setting)."""
    return _active(user) and can_manage_cohort(user, cohort)


def sees_every_student(user: User, cohort: Cohort) -> bool:
    """Instructors and admins see the whole cohort; a mentor sees their own students and their
    own review figures."""
    return can_manage_cohort(user, cohort)


def can_view_coverage(user: User) -> bool:
    """Curriculum coverage is for the people who edit the curriculum and run cohorts: staff
    and platform admins, and instructors of any cohort."""
    if not _active(user):
        return False
    if user.is_staff or is_platform_admin(user):
        return True
    return Membership.objects.of(user=user).instructors().exists()


def cohort_get_for_insights(user: User, slug: str) -> Cohort:
    """The cohort whose insights the user may read; 404 for missing and forbidden alike."""
    cohort = cohort_get_for_user(user, slug)
    if not can_view_insights(user, cohort):
        raise Http404("No such cohort.")
    return cohort
