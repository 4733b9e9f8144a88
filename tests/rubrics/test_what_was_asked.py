"""At the top of a workspace whose latest revision got "changes requested", what the mentor
asked: decision, overall feedback, each criterion's level and comment, and a link to the full
feedback; and on the scoring page, the improve items the student carried into the week."""

import pytest
from django.urls import reverse

from rubrics.models import Assessment
from rubrics.services import assessment_record
from submissions import services as submission_services
from submissions.selectors import improve_items_for_work

from .conftest import scores_for, submit

pytestmark = pytest.mark.django_db


def _request_changes(people, rubric, revision, feedback="Measure **before** you change the index."):
    return assessment_record(
        revision=revision,
        scorer=people.mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, [3, 2, 3, 1, 4], comment="Add the p95 <b>before</b> and after."),
        feedback=feedback,
        decision=Assessment.Decision.REQUEST_CHANGES,
    )


def _top(body: str) -> str:
    """The page up to its first section of work."""
    return body.split('data-section="')[0]


def test_the_student_sees_what_was_asked_at_the_top(people, rubric, client_for):
    revision = submit(people.student, people.cohort, 3)
    assessment = _request_changes(people, rubric, revision)
    body = client_for(people.student).get(reverse("submissions:work", args=[revision.work_id])).content.decode()
    top = _top(body)
    assert 'data-panel="what-was-asked"' in top
    assert "What was asked on revision 1" in top and "Changes requested" in top
    assert "Measure <strong>before</strong> you change the index." in top
    for score in assessment.scores.select_related("criterion", "level"):
        assert score.criterion.title in top and f"{score.level.label} · {score.level.points} pt" in top
    assert top.count("Add the p95 &lt;b&gt;before&lt;/b&gt; and after.") == 5
    assert reverse("rubrics:feedback", args=[revision.pk]) in top
    assert "submit revision 2" in top


@pytest.mark.parametrize("role", ["mentor", "instructor", "admin"])
def test_reviewers_see_the_request_on_the_workspace_too(people, rubric, client_for, role):
    revision = submit(people.student, people.cohort, 3)
    _request_changes(people, rubric, revision)
    body = client_for(getattr(people, role)).get(reverse("submissions:work", args=[revision.work_id]))
    assert 'data-panel="what-was-asked"' in body.content.decode()


@pytest.mark.parametrize("role", ["other_student", "unassigned_mentor", "foreign_mentor", "foreign_student"])
def test_nobody_else_reaches_the_workspace(people, rubric, client_for, role):
    revision = submit(people.student, people.cohort, 3)
    _request_changes(people, rubric, revision)
    assert (
        client_for(getattr(people, role)).get(reverse("submissions:work", args=[revision.work_id])).status_code == 404
    )


def test_nothing_is_shown_before_a_request_or_after_the_resubmission(people, rubric, client_for):
    client = client_for(people.student)
    revision = submit(people.student, people.cohort, 3)
    url = reverse("submissions:work", args=[revision.work_id])
    assert 'data-panel="what-was-asked"' not in client.get(url).content.decode()
    _request_changes(people, rubric, revision)
    assert 'data-panel="what-was-asked"' in client.get(url).content.decode()
    work = revision.work
    work.refresh_from_db()
    submission_services.work_submit(work=work, by=people.student)
    assert 'data-panel="what-was-asked"' not in client.get(url).content.decode()


def test_the_scoring_page_shows_the_improve_items_and_their_statuses(people, rubric, client_for):
    week2 = people.cohort.course.weeks.get(number=2)
    submission_services.retrospective_save(
        student=people.student,
        cohort=people.cohort,
        week=week2,
        retain="r",
        improve="- Start load tests on Tuesday\n- Ask for review earlier",
        scale="s",
    )
    work = submission_services.work_get_or_create(
        student=people.student, cohort=people.cohort, week=people.cohort.course.weeks.get(number=3)
    )
    first, _ = improve_items_for_work(work)
    submission_services.improve_item_set_status(
        work=work, key=first.key, status="carried", note="Ran out of <i>time</i>", by=people.student
    )
    revision = submit(people.student, people.cohort, 3)
    body = client_for(people.mentor).get(reverse("rubrics:score", args=[revision.pk])).content.decode()
    assert 'data-panel="improve-items"' in body
    assert "Start load tests on Tuesday" in body and "Ask for review earlier" in body
    assert "Carried forward" in body and "Not set yet" in body
    assert "Ran out of &lt;i&gt;time&lt;/i&gt;" in body


def test_no_improve_panel_on_the_scoring_page_of_week_one(people, rubric, client_for):
    revision = submit(people.student, people.cohort, 1)
    body = client_for(people.mentor).get(reverse("rubrics:score", args=[revision.pk])).content.decode()
    assert 'data-panel="improve-items"' not in body
