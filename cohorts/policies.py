"""Who may do what with cohorts. Views, the API and other apps ask these functions."""

from dataclasses import dataclass

from accounts.models import User

from .models import Cohort, Membership, MentorAssignment


def role_in(user: User, cohort: Cohort) -> str | None:
    """The user's role in the cohort, or None: the one the cohort was fetched with for this
    viewer (cohorts.selectors.cohort_get_for_user(with_viewer_role=True)), else one query."""
    known = getattr(cohort, "_roles_known", None)
    if known is not None and user.pk in known:
        return known[user.pk]
    return Membership.objects.role_of(user=user, cohort=cohort)


def remember_role(user: User, cohort: Cohort, role: str | None) -> None:
    """Let this cohort instance answer role_in for this user (read in the query that fetched it)."""
    if user.is_authenticated:
        cohort._roles_known = {user.pk: role}


_role = role_in


def is_platform_admin(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.is_superuser


def can_view_cohort(user: User, cohort: Cohort) -> bool:
    return is_platform_admin(user) or _role(user, cohort) is not None


def _manages(user: User, role: str | None) -> bool:
    return is_platform_admin(user) or role == Membership.Role.INSTRUCTOR


def _sees_roster(user: User, role: str | None) -> bool:
    return is_platform_admin(user) or role in (Membership.Role.MENTOR, Membership.Role.INSTRUCTOR)


def can_manage_cohort(user: User, cohort: Cohort) -> bool:
    """Instructors manage their own cohorts (members, mentors, extensions); admins all."""
    return _manages(user, _role(user, cohort))


def can_invite(user: User, cohort: Cohort) -> bool:
    """Inviting people and importing a roster is managing the cohort: its instructors, admins."""
    return can_manage_cohort(user, cohort)


def can_view_roster(user: User, cohort: Cohort) -> bool:
    """The full member list is for the cohort's mentors and instructors; students see
    only who teaches the cohort (peer review stays anonymous)."""
    return _sees_roster(user, _role(user, cohort))


@dataclass(frozen=True)
class CohortAccess:
    """What one person may do on a cohort's page, from one look-up of their role."""

    role: str | None
    can_manage: bool
    can_view_roster: bool


def cohort_access(user: User, cohort: Cohort) -> CohortAccess:
    """can_manage_cohort and can_view_roster together, for a page that needs both (one query)."""
    role = _role(user, cohort)
    return CohortAccess(role=role, can_manage=_manages(user, role), can_view_roster=_sees_roster(user, role))


def can_view_student(user: User, cohort: Cohort, student: User) -> bool:
    """A student's own record, their assigned mentors, and the cohort's instructors."""
    if not user.is_authenticated:
        return False
    if user.pk == student.pk or is_platform_admin(user):
        return True
    role = _role(user, cohort)
    if role == Membership.Role.INSTRUCTOR:
        return True
    if role == Membership.Role.MENTOR:
        return MentorAssignment.objects.is_mentor_of(mentor=user, student=student, cohort=cohort)
    return False
