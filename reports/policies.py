"""Who may request and read which report.

- Instructors of the cohort and platform admins: every kind, for the whole cohort, and may
  read every run of the cohort.
- Mentors: the cohort progress report and the gradebook export restricted to the students
  assigned to them (the run records `mentor_id` and the build includes only those
  students), and the student report of an assigned student. They read runs they asked for
  and student reports of their assigned students.
- Students: only their own student report.
- Everyone else: nothing; the pages answer 404 so that a run's existence does not leak.
"""

from django.http import Http404

from accounts.models import User
from cohorts.models import Cohort, Membership
from cohorts.policies import can_manage_cohort, can_view_student, is_platform_admin

from .models import ReportRun

COHORT_WIDE_KINDS = (ReportRun.Kind.COHORT, ReportRun.Kind.GRADEBOOK)


def report_scope_for(user: User, kind: str, cohort: Cohort, student: User | None = None) -> int | None | bool:
    """May `user` request this report? False when not; otherwise the mentor scope the run
    is built with: None (whole cohort, or one student) or the mentor's id."""
    if not user.is_authenticated or not user.is_active:
        return False
    if kind == ReportRun.Kind.STUDENT:
        if student is None or not Membership.objects.is_student(user=student, cohort=cohort):
            return False
        return None if can_view_student(user, cohort, student) else False
    if kind not in COHORT_WIDE_KINDS:
        return False
    if is_platform_admin(user):
        return None
    role = Membership.objects.role_of(user=user, cohort=cohort)  # one query decides both cases
    if role == Membership.Role.INSTRUCTOR:
        return None
    return user.pk if role == Membership.Role.MENTOR else False


def can_request_report(user: User, kind: str, cohort: Cohort, student: User | None = None) -> bool:
    return report_scope_for(user, kind, cohort, student) is not False


def can_read_run(user: User, run: ReportRun) -> bool:
    """Who may see a run's page and download its file."""
    if not user.is_authenticated or not user.is_active:
        return False
    if can_manage_cohort(user, run.cohort):
        return True
    if run.kind == ReportRun.Kind.STUDENT:
        return run.student is not None and can_view_student(user, run.cohort, run.student)
    # A mentor's cohort-wide report lists only their students: it is theirs alone, and only
    # while they still mentor in this cohort.
    return run.mentor_id == user.pk and Membership.objects.is_mentor(user=user, cohort=run.cohort)


def can_retry_run(user: User, run: ReportRun) -> bool:
    """A failed or stalled run (its worker stopped answering) may be started again."""
    return (run.status == ReportRun.Status.FAILED or run.is_stalled) and can_read_run(user, run)


def run_get_for_user(user: User, pk: int) -> ReportRun:
    """Fetch a run the user may read; 404 both when missing and when not allowed."""
    run = ReportRun.objects.select_related("cohort__course", "student", "requested_by").filter(pk=pk).first()
    if run is None or not can_read_run(user, run):
        raise Http404("No such report.")
    return run
