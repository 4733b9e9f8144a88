"""Who may score, review and read feedback. Views, the demo and services ask here; the
access functions fetch and check together and raise Http404 for missing and forbidden alike."""

from django.http import Http404

from accounts.models import User
from cohorts.models import Cohort, Membership
from cohorts.policies import can_manage_cohort, can_view_student, is_platform_admin, role_in
from cohorts.selectors import cohort_get_for_user, cohort_member, roles_for_user
from submissions.models import Artifact, Revision, WeeklyWork
from submissions.policies import can_view_work

from .models import CalibrationRun, PeerAssignment


def _active(user: User) -> bool:
    return user.is_authenticated and user.is_active


def can_score_as_mentor(user: User, work: WeeklyWork) -> bool:
    """The student's assigned mentors, the cohort's instructors and platform admins (never
    the author)."""
    return _active(user) and user.pk != work.student_id and can_view_student(user, work.cohort, work.student)


def can_view_feedback(user: User, work: WeeklyWork) -> bool:
    """The author and those who may see the work; never another student."""
    return _active(user) and can_view_work(user, work)


def can_see_peer_identity(user: User, assignment: PeerAssignment, work: WeeklyWork) -> bool:
    """The author sees who reviewed only when the review is not anonymous; mentors and
    instructors always do."""
    if user.pk == work.student_id:
        return not assignment.anonymous
    return can_score_as_mentor(user, work)


def can_view_gradebook(user: User, cohort: Cohort) -> bool:
    if is_platform_admin(user):
        return True
    return _active(user) and role_in(user, cohort) in Membership.TEACHING_ROLES


def can_use_review_queue(user: User, *, roles: set[str] | None = None) -> bool:
    """The review queue (page and API) is for mentors and instructors of any cohort and for
    platform admins; students review their peers from the peer queue instead. `roles`: the
    user's roles (cohorts.selectors.roles_for_user) when the caller has them already."""
    if not _active(user):
        return False
    if is_platform_admin(user):
        return True
    if roles is None:
        roles = roles_for_user(user)
    return bool(roles & Membership.TEACHING_ROLES)


def cohort_get_for_gradebook(user: User, slug: str) -> Cohort:
    """The cohort whose gradebook the user may read; 404 for missing and forbidden alike."""
    cohort = cohort_get_for_user(user, slug, with_viewer_role=True)
    if not can_view_gradebook(user, cohort):
        raise Http404("No such cohort.")
    return cohort


def student_get_for_progress(user: User, cohort: Cohort, student_id: int) -> User:
    """A student of the cohort whose progress the user may see (the student, their mentors,
    the cohort's instructors, admins); 404 for anyone else and for someone not a student here."""
    if student_id == user.pk and role_in(user, cohort) == Membership.Role.STUDENT:
        student = user  # a learner on their own page: their role here was read with the cohort
    else:
        student = cohort_member(cohort, student_id, role=Membership.Role.STUDENT)
    if student is None or not can_view_student(user, cohort, student):
        raise Http404("No such student.")
    return student


def can_run_calibration(user: User, cohort: Cohort) -> bool:
    """Start calibration runs and read their results: the cohort's instructors and admins."""
    return _active(user) and can_manage_cohort(user, cohort)


def is_calibration_mentor(user: User, run: CalibrationRun) -> bool:
    """One of the mentors asked to score the run's revision (each scores it once)."""
    return _active(user) and run.mentors.filter(pk=user.pk).exists()


def can_assign_peer_reviewers(user: User, cohort: Cohort) -> bool:
    """Assign peer reviewers now, without waiting for the submit task or the schedule: the
    cohort's instructors and admins."""
    return _active(user) and can_manage_cohort(user, cohort)


def _revision_with_work(pk: int) -> Revision | None:
    return (
        Revision.objects.select_related(
            "work__student",
            "work__cohort__course",
            "work__week__lab",
            "work__deliverable__project",
            "work__deliverable__due_week",
            "work__latest_revision",
        )
        .filter(pk=pk)
        .first()
    )


def revision_get_for_scoring(user: User, pk: int) -> Revision:
    revision = _revision_with_work(pk)
    if revision is None or not can_score_as_mentor(user, revision.work):
        raise Http404("No such revision.")
    return revision


def revision_get_for_feedback(user: User, pk: int) -> Revision:
    revision = _revision_with_work(pk)
    if revision is None or not can_view_feedback(user, revision.work):
        raise Http404("No such revision.")
    return revision


def revision_get_for_reviewer(user: User, pk: int) -> tuple[Revision, PeerAssignment | None]:
    """A revision whose feedback the user may read, or that they were assigned to review as
    a peer (then also the assignment); 404 for everyone else."""
    try:
        revision = revision_get_for_feedback(user, pk)
    except Http404:
        revision = None
    assignment = None
    if _active(user):
        assignment = PeerAssignment.objects.filter(revision_id=pk, reviewer=user).first()
    if revision is None:
        if assignment is None:
            raise Http404("No such revision.")
        revision = peer_assignment_get_for_user(user, assignment.pk).revision
    return revision, assignment


def can_self_assess(user: User, work: WeeklyWork) -> bool:
    """Only the author: a self-assessment made before submitting is private until then."""
    return _active(user) and user.pk == work.student_id


def work_get_for_self_assessment(user: User, pk: int) -> WeeklyWork:
    """The work, with what the self-assessment page needs, for its author only: 404 for
    everybody else (mentors and instructors included) and for missing work alike."""
    work = (
        WeeklyWork.objects.select_related("student", "cohort", "week", "deliverable", "latest_revision")
        .defer("content", "latest_revision__content")
        .filter(pk=pk)
        .first()
    )
    if work is None or not can_self_assess(user, work):
        raise Http404("No such work.")
    return work


def peer_assignment_get_for_user(user: User, pk: int) -> PeerAssignment:
    """Only the assigned reviewer reaches a peer assignment."""
    assignment = (
        PeerAssignment.objects.select_related(
            "revision__work__cohort__course", "revision__work__week", "revision__work__deliverable"
        )
        .filter(pk=pk)
        .first()
    )
    if assignment is None or not _active(user) or assignment.reviewer_id != user.pk:
        raise Http404("No such review.")
    return assignment


def calibration_run_get_for_user(user: User, pk: int) -> CalibrationRun:
    """The cohort's instructors (and admins) and the run's own mentors."""
    run = CalibrationRun.objects.select_related("cohort", "rubric", "created_by").filter(pk=pk).first()
    if run is None or not _active(user):
        raise Http404("No such calibration run.")
    if can_run_calibration(user, run.cohort) or is_calibration_mentor(user, run):
        return run
    raise Http404("No such calibration run.")


def artifact_get_for_reviewer(user: User, revision_pk: int, artifact_pk: int) -> tuple[Artifact, bool]:
    """An artifact of a revision, for whoever reviews that revision: its viewers, its
    assigned peer reviewers, and the mentors of a calibration run on it. Returns the
    artifact and whether the reviewer must not learn the author's identity (then the file
    is served under a neutral name)."""
    artifact = (
        Artifact.objects.select_related("work__cohort", "work__student")
        .filter(pk=artifact_pk, revision_links__revision_id=revision_pk)
        .first()
    )
    if artifact is None or not _active(user):
        raise Http404("No such file.")
    if can_view_work(user, artifact.work):
        return artifact, False
    if PeerAssignment.objects.filter(revision_id=revision_pk, reviewer=user).exists():
        return artifact, True
    if CalibrationRun.objects.filter(revision_id=revision_pk, mentors=user).exists():
        return artifact, True
    raise Http404("No such file.")
