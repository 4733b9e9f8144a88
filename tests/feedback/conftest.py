"""Helpers for the comment thread tests: a real submitted revision with text in several
sections, submitted again through the workspace services (which carry the threads)."""

import pytest

from submissions import services as submission_services
from tests.factories import PeerAssignmentFactory

CONCEPT = (
    "## Request path\n\nThe **ORM** dominates the p95 latency on the list page.\n\n"
    "Caching hides the slow query but does not remove it."
)
RATIONALE = "A covering index is the *cheapest* fix that keeps reads consistent."


def content(concept: str = CONCEPT, rationale: str = RATIONALE, note: str = "") -> dict:
    return {
        "concept": {"text": concept, "objective_ids": []},
        "decision": {"decision": "Add a covering index.", "rationale": rationale},
        "revision_note": note,
    }


def submit(student, cohort, *, week: int = 1, **kwargs):
    """Save the draft (content(**kwargs)) and submit it as the next revision."""
    work = submission_services.work_get_or_create(
        student=student, cohort=cohort, week=cohort.course.weeks.get(number=week)
    )
    submission_services.work_save_draft(
        work=work, content=content(**kwargs), expected_version=work.draft_version, by=student
    )
    return submission_services.work_submit(work=work, by=student)


def resubmit(revision, mentor, captured, **kwargs):
    """Changes requested by `mentor`, then the student submits again; the carry task runs on
    commit (`captured`: django_capture_on_commit_callbacks)."""
    work = revision.work
    submission_services.work_request_changes(work=work, revision=revision, by=mentor)
    with captured(execute=True):
        new = submit(work.student, work.cohort, week=work.week.number, **kwargs)
    new.work.refresh_from_db()
    return new


@pytest.fixture
def revision(people, eager_tasks):
    return submit(people.student, people.cohort)


@pytest.fixture
def peer(revision, people):
    """An anonymous peer reviewer of the revision (another student of the cohort)."""
    return PeerAssignmentFactory(revision=revision, reviewer=people.other_student, anonymous=True)


@pytest.fixture
def rubric(course):
    """The course-wide default weekly rubric, as on the review pages."""
    from rubrics.services import rubric_install_defaults

    return rubric_install_defaults(course=course)[0]
