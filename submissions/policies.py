"""Who may see and change weekly work. Views, downloads, the API and other apps ask here."""

from django.http import Http404

from accounts.models import User
from cohorts.policies import can_view_student, is_platform_admin

from .models import Artifact, Revision, WeeklyWork


def can_view_work(user: User, work: WeeklyWork) -> bool:
    """The student, their assigned mentors, the cohort's instructors and platform admins."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.pk == work.student_id:
        return True
    return can_view_student(user, work.cohort, work.student)


def can_edit_work(user: User, work: WeeklyWork) -> bool:
    """Only the owner edits, and only while the work is a draft or changes were requested."""
    return user.is_authenticated and user.is_active and user.pk == work.student_id and work.is_editable


def can_submit_work(user: User, work: WeeklyWork) -> bool:
    return can_edit_work(user, work)


def can_log_risks(user: User, cohort, student: User) -> bool:
    """The risk/defect log is the student's own notebook; others read it through the work."""
    return user.is_authenticated and user.is_active and user.pk == student.pk


def can_change_risk_log(user: User, work: WeeklyWork) -> bool:
    """Entries are added and closed from a week's work while it is editable (draft or changes
    requested), and the change is recorded in that week. The log of a week already handed
    in stays as it was; services.risk_entry_create/_close enforce the same rule for every caller."""
    return can_edit_work(user, work) and bool(work.week_id)


def can_download_artifact(user: User, artifact: Artifact) -> bool:
    """Private downloads follow the work's visibility (the portfolio app has its own public
    path for artifacts of published entries)."""
    return can_view_work(user, artifact.work)


def can_view_dashboard_of(user: User, cohort, student: User) -> bool:
    return user.is_authenticated and (user.pk == student.pk or can_view_student(user, cohort, student))


def work_get_for_user(user: User, pk: int) -> WeeklyWork:
    """Fetch a work with what its pages need and check visibility: 404 for both missing
    and forbidden, so another student cannot learn that the work exists."""
    work = (
        WeeklyWork.objects.select_related(
            "student",
            "cohort__course",
            "week__lab",
            "deliverable__project",
            "deliverable__due_week",
            "latest_revision",
        )
        .filter(pk=pk)
        .first()
    )
    if work is None or not can_view_work(user, work):
        raise Http404("No such work.")
    return work


def revision_get_for_user(user: User, work_pk: int, number: int) -> Revision:
    work = work_get_for_user(user, work_pk)
    revision = Revision.objects.select_related("submitted_by").filter(work=work, number=number).first()
    if revision is None:
        raise Http404("No such revision.")
    revision.work = work
    return revision


def artifact_get_for_download(user: User, pk: int) -> Artifact:
    artifact = Artifact.objects.select_related("work__cohort", "work__student").filter(pk=pk).first()
    if artifact is None or not can_download_artifact(user, artifact):
        raise Http404("No such file.")
    return artifact


def is_admin(user: User) -> bool:
    return is_platform_admin(user)
