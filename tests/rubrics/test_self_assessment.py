"""Self-assessment before submitting: the author saves a draft against the rubric on
/review/works/<pk>/self-assessment/, and submitting records it as the new revision's SELF
assessment (rubrics.services.self_assessment_attach, run by the task that follows a submit)."""

import io
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from rubrics.models import Assessment, Rubric, SelfAssessmentDraft
from rubrics.selectors import rubric_criteria
from rubrics.services import (
    assessment_record,
    rubric_new_version,
    self_assessment_attach,
    self_assessment_save_draft,
)
from rubrics.tasks import assign_peer_reviewers
from submissions import services as submission_services
from submissions.models import WeeklyWork
from tests.submissions.conftest import workspace_post

from .conftest import post_data, scores_for

pytestmark = pytest.mark.django_db

POINTS = [4, 3, 2, 3, 4]
NOTE = "The measurements hold; the decision record is where I am least sure."


def draft_work(people, number: int = 1) -> WeeklyWork:
    """A week of the student's with a saved draft, ready to submit."""
    week = people.cohort.course.weeks.get(number=number)
    work = submission_services.work_get_or_create(student=people.student, cohort=people.cohort, week=week)
    submission_services.work_save_draft(
        work=work,
        content={"concept": {"text": "## Request path\n\nThe ORM dominates.", "objective_ids": []}},
        expected_version=work.draft_version,
        by=people.student,
    )
    return work


def url(work: WeeklyWork) -> str:
    return reverse("rubrics:self_assess", args=[work.pk])


def expected_score(rubric: Rubric, points) -> Decimal:
    """sum(weight × points) / sum(weight × 4) × 100, worked out here from the criteria."""
    criteria = rubric_criteria(rubric)
    reached = sum(c.weight * p for c, p in zip(criteria, points, strict=True))
    possible = sum(c.weight * 4 for c in criteria)
    return (Decimal(100) * reached / possible).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def commented(rubric: Rubric, points, *, feedback: str = NOTE) -> dict:
    """The form as the browser posts it, with a distinct comment per criterion."""
    data = post_data(rubric, points, feedback=feedback)
    for index, criterion in enumerate(rubric_criteria(rubric)):
        data[f"comment_{criterion.pk}"] = f"Comment {index + 1}"
    return data


def submit_and_run_tasks(work, people, django_capture_on_commit_callbacks):
    """Submit through the service and run what its commit starts (the test's own transaction
    never commits, so on_commit callbacks are captured and run here)."""
    with django_capture_on_commit_callbacks(execute=True):
        revision = submission_services.work_submit(work=work, by=people.student)
    return revision


def levels_of(assessment: Assessment) -> dict[int, tuple[int, str]]:
    return {s.criterion_id: (s.level_id, s.comment) for s in assessment.scores.all()}


# --- Who reaches the page -----------------------------------------------------------------------


def test_author_sees_the_rubric_to_self_assess_before_submitting(people, rubric, client_for):
    work = draft_work(people)
    page = client_for(people.student).get(url(work))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("<h1") == 1
    criteria = rubric_criteria(rubric)
    assert body.count("<fieldset") == len(criteria)
    assert body.count("<legend>") == len(criteria)
    assert body.count('type="radio"') == sum(len(c.levels.all()) for c in criteria)
    assert criteria[0].levels.all()[0].descriptor in body
    assert "attached to your next revision (revision 1)" in body
    assert "Overall note" in body


@pytest.mark.parametrize(
    "role",
    [
        "other_student",
        "mentor",
        "unassigned_mentor",
        "instructor",
        "foreign_mentor",
        "foreign_student",
        "foreign_instructor",
        "admin",
        "stranger",
    ],
)
def test_page_is_404_for_everybody_but_the_author(people, rubric, client_for, role):
    work = draft_work(people)
    self_assessment_save_draft(work=work, by=people.student, scores=scores_for(rubric, 3), feedback=NOTE)
    client = client_for(getattr(people, role))
    assert client.get(url(work)).status_code == 404
    assert client.post(url(work), commented(rubric, 1)).status_code == 404
    assert SelfAssessmentDraft.objects.get().score == Decimal("75.00")  # untouched


def test_missing_work_is_404_too(people, rubric, client_for):
    assert client_for(people.student).get(reverse("rubrics:self_assess", args=[987654])).status_code == 404


def test_anonymous_is_sent_to_sign_in(people, rubric, client_for):
    work = draft_work(people)
    for response in (client_for(None).get(url(work)), client_for(None).post(url(work), commented(rubric, 3))):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not SelfAssessmentDraft.objects.exists()


# --- Save, then submit ------------------------------------------------------------------------------


def test_saved_self_assessment_is_recorded_on_the_revision_the_submit_view_creates(
    people, rubric, client_for, django_capture_on_commit_callbacks
):
    work = draft_work(people)
    client = client_for(people.student)
    response = client.post(url(work), commented(rubric, POINTS))
    assert response.status_code == 302 and response["Location"] == url(work)
    score = expected_score(rubric, POINTS)
    page = client.get(url(work)).content.decode()
    assert f"Self-assessment saved: {score} / 100" in page
    assert f"<strong>{score} / 100</strong>" in page
    assert "\nComment 1</textarea>" in page and f"\n{NOTE}</textarea>" in page  # prefilled from the draft
    first_level = scores_for(rubric, POINTS)[rubric_criteria(rubric)[0].pk][0]
    assert f'value="{first_level}" checked' in page

    work.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("submissions:submit", args=[work.pk]), workspace_post(work))
    assert response.status_code == 302
    work.refresh_from_db()
    revision = work.latest_revision
    assert revision.number == 1

    own = Assessment.objects.get(revision=revision, kind=Assessment.Kind.SELF)
    assert own.scorer == people.student
    assert own.score == score
    assert own.feedback == NOTE
    assert own.submitted_at == revision.submitted_at
    assert own.rubric == rubric
    wanted = scores_for(rubric, POINTS)
    assert levels_of(own) == {
        cid: (level_id, f"Comment {index + 1}") for index, (cid, (level_id, _)) in enumerate(wanted.items())
    }
    rubric.refresh_from_db()
    assert rubric.is_frozen  # attached like any other use of the version
    assert SelfAssessmentDraft.objects.filter(work=work).exists()  # kept for the next revision

    feedback = client.get(reverse("rubrics:feedback", args=[revision.pk])).content.decode()
    assert "Your self-assessment" in feedback and "Save self-assessment" not in feedback

    # The mentor reads the same assessment under the student's name for it, not "Your".
    for_mentor = client_for(people.mentor).get(reverse("rubrics:feedback", args=[revision.pk])).content.decode()
    assert "The student&#x27;s self-assessment" in for_mentor and "Your self-assessment" not in for_mentor


def test_saving_again_replaces_the_draft(people, rubric, client_for):
    work = draft_work(people)
    client = client_for(people.student)
    client.post(url(work), commented(rubric, 2))
    client.post(url(work), commented(rubric, 4, feedback="Better now."))
    draft = SelfAssessmentDraft.objects.get()
    assert draft.score == Decimal("100.00") and draft.feedback == "Better now."


# --- Bad input ----------------------------------------------------------------------------------


def test_incomplete_input_is_a_400_with_the_field_error_and_keeps_what_was_typed(people, rubric, client_for):
    work = draft_work(people)
    data = commented(rubric, 3)
    first, second = rubric_criteria(rubric)[:2]
    del data[f"criterion_{first.pk}"]
    response = client_for(people.student).post(url(work), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert f"Choose a level for “{first.title}”." in body
    assert f'id="criterion_{first.pk}_error"' in body
    assert NOTE in body and "\nComment 2</textarea>" in body
    chosen = scores_for(rubric, 3)[second.pk][0]
    assert f'id="criterion_{second.pk}_{chosen}" value="{chosen}" checked' in body
    assert not SelfAssessmentDraft.objects.exists()


def test_a_level_of_another_criterion_is_a_400_and_saves_nothing(people, rubric, client_for):
    work = draft_work(people)
    data = commented(rubric, 3)
    first, second = rubric_criteria(rubric)[:2]
    data[f"criterion_{first.pk}"] = data[f"criterion_{second.pk}"]
    response = client_for(people.student).post(url(work), data)
    assert response.status_code == 400
    assert f'id="criterion_{first.pk}_error"' in response.content.decode()
    assert not SelfAssessmentDraft.objects.exists()


def test_service_refuses_a_level_of_another_criterion(people, rubric):
    work = draft_work(people)
    scores = scores_for(rubric, 3)
    first, second = rubric_criteria(rubric)[:2]
    scores[first.pk] = scores[second.pk]
    with pytest.raises(ValidationError) as raised:
        self_assessment_save_draft(work=work, by=people.student, scores=scores)
    assert f"criterion_{first.pk}" in raised.value.message_dict
    assert not SelfAssessmentDraft.objects.exists()


def test_service_refuses_anyone_but_the_author(people, rubric):
    work = draft_work(people)
    for person in (people.mentor, people.other_student, people.admin):
        with pytest.raises(ValidationError, match="Only the author"):
            self_assessment_save_draft(work=work, by=person, scores=scores_for(rubric, 3))
    assert not SelfAssessmentDraft.objects.exists()


# --- After submitting -------------------------------------------------------------------------------


def test_post_after_submitting_is_refused_and_the_page_is_read_only(
    people, rubric, client_for, django_capture_on_commit_callbacks
):
    work = draft_work(people)
    self_assessment_save_draft(work=work, by=people.student, scores=scores_for(rubric, POINTS), feedback=NOTE)
    submit_and_run_tasks(work, people, django_capture_on_commit_callbacks)
    client = client_for(people.student)

    response = client.post(url(work), commented(rubric, 1), follow=True)
    assert response.redirect_chain == [(url(work), 302)]
    body = response.content.decode()
    assert "This work is submitted, so its self-assessment cannot change now." in body
    assert SelfAssessmentDraft.objects.get().score == expected_score(rubric, POINTS)
    assert 'type="radio"' not in body and '<form method="post" class="stacked rubric-form"' not in body
    assert "Your saved self-assessment" in body
    assert rubric_criteria(rubric)[0].title in body

    with pytest.raises(ValidationError, match="submitted"):
        self_assessment_save_draft(work=work, by=people.student, scores=scores_for(rubric, 1))


def test_without_a_draft_nothing_is_attached_and_the_feedback_page_still_offers_the_form(
    people, rubric, client_for, django_capture_on_commit_callbacks
):
    work = draft_work(people)
    revision = submit_and_run_tasks(work, people, django_capture_on_commit_callbacks)
    assert not Assessment.objects.filter(kind=Assessment.Kind.SELF).exists()
    page = client_for(people.student).get(reverse("rubrics:feedback", args=[revision.pk])).content.decode()
    assert "Save self-assessment" in page
    assert (
        "No self-assessment was saved before submitting." in client_for(people.student).get(url(work)).content.decode()
    )


def test_a_draft_for_an_outdated_rubric_version_is_not_attached(
    people, rubric, client_for, django_capture_on_commit_callbacks
):
    work = draft_work(people)
    self_assessment_save_draft(work=work, by=people.student, scores=scores_for(rubric, 3), feedback=NOTE)
    newer = rubric_new_version(rubric=rubric)

    body = client_for(people.student).get(url(work)).content.decode()
    assert "The rubric changed since you saved this self-assessment" in body
    assert str(newer) in body
    new_first = rubric_criteria(newer)[0]
    old_first = rubric_criteria(rubric)[0]
    assert f'name="criterion_{new_first.pk}"' in body and f'name="criterion_{old_first.pk}"' not in body
    assert " checked" not in body  # the old levels are not offered as answers to the new version

    revision = submit_and_run_tasks(work, people, django_capture_on_commit_callbacks)
    assert not Assessment.objects.filter(revision=revision, kind=Assessment.Kind.SELF).exists()
    assert self_assessment_attach(revision=revision) is None


def _revision_1_self_assessed_and_sent_back(people, rubric, client_for, django_capture_on_commit_callbacks):
    """Revision 1 submitted with a self-assessment ("First go."), then changes requested."""
    work = draft_work(people)
    client = client_for(people.student)
    client.post(url(work), commented(rubric, 2, feedback="First go."))
    first = submit_and_run_tasks(work, people, django_capture_on_commit_callbacks)
    assessment_record(
        revision=first,
        scorer=people.mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, 2),
        feedback="Quantify the trade-offs.",
        decision=Assessment.Decision.REQUEST_CHANGES,
    )
    return work, client, first


def test_resubmitting_after_changes_requested_attaches_the_edited_draft_to_revision_2(
    people, rubric, client_for, django_capture_on_commit_callbacks
):
    work, client, first = _revision_1_self_assessed_and_sent_back(
        people, rubric, client_for, django_capture_on_commit_callbacks
    )
    # Editable again: the page is a form once more, prefilled with what went with revision 1.
    page = client.get(url(work)).content.decode()
    assert "attached to your next revision (revision 2)" in page and "\nFirst go.</textarea>" in page
    assert client.post(url(work), commented(rubric, 4, feedback="Second go.")).status_code == 302

    work.refresh_from_db()
    second = submit_and_run_tasks(work, people, django_capture_on_commit_callbacks)
    assert second.number == 2
    by_revision = {a.revision_id: a for a in Assessment.objects.filter(kind=Assessment.Kind.SELF)}
    assert (by_revision[first.pk].score, by_revision[first.pk].feedback) == (Decimal("50.00"), "First go.")
    assert (by_revision[second.pk].score, by_revision[second.pk].feedback) == (Decimal("100.00"), "Second go.")


def test_a_draft_not_saved_since_the_previous_revision_does_not_go_with_the_next(
    people, rubric, client_for, django_capture_on_commit_callbacks
):
    work, client, first = _revision_1_self_assessed_and_sent_back(
        people, rubric, client_for, django_capture_on_commit_callbacks
    )
    page = client.get(url(work)).content.decode()
    assert "only a self-assessment saved since revision 1 goes with revision 2" in page

    work.refresh_from_db()
    second = submit_and_run_tasks(work, people, django_capture_on_commit_callbacks)  # draft untouched
    assert second.number == 2
    assert not Assessment.objects.filter(revision=second, kind=Assessment.Kind.SELF).exists()
    assert Assessment.objects.get(revision=first, kind=Assessment.Kind.SELF).feedback == "First go."


def test_attaching_is_idempotent(people, rubric, django_capture_on_commit_callbacks):
    work = draft_work(people)
    self_assessment_save_draft(work=work, by=people.student, scores=scores_for(rubric, 3), feedback=NOTE)
    revision = submit_and_run_tasks(work, people, django_capture_on_commit_callbacks)
    attached = Assessment.objects.get(revision=revision, kind=Assessment.Kind.SELF)
    assert self_assessment_attach(revision=revision) == attached
    assign_peer_reviewers(revision.pk)
    assert Assessment.objects.filter(kind=Assessment.Kind.SELF).count() == 1


def test_a_self_assessment_typed_on_the_feedback_page_first_is_kept(people, rubric):
    """The task may run after the author already self-assessed after submitting."""
    work = draft_work(people)
    self_assessment_save_draft(work=work, by=people.student, scores=scores_for(rubric, 4))
    revision = submission_services.work_submit(work=work, by=people.student)  # its task has not run yet
    typed = assessment_record(
        revision=revision, scorer=people.student, kind=Assessment.Kind.SELF, scores=scores_for(rubric, 1)
    )
    assert self_assessment_attach(revision=revision) == typed
    assert Assessment.objects.get(kind=Assessment.Kind.SELF).score == Decimal("25.00")


def test_a_late_task_does_not_attach_once_the_work_is_open_again(people, rubric):
    """After changes are requested the draft may already be meant for the next revision."""
    work = draft_work(people)
    self_assessment_save_draft(work=work, by=people.student, scores=scores_for(rubric, 4))
    revision = submission_services.work_submit(work=work, by=people.student)  # its task has not run yet
    submission_services.work_request_changes(work=work, revision=revision, by=people.mentor)
    assert self_assessment_attach(revision=revision) is None
    assert not Assessment.objects.filter(kind=Assessment.Kind.SELF).exists()


# --- Workspace link, demo, query budgets -------------------------------------------------------------


def test_workspace_links_to_the_page_only_while_the_author_can_submit(
    people, rubric, client_for, django_capture_on_commit_callbacks
):
    work = draft_work(people)
    link = f'<a href="{url(work)}">Self-assess against the rubric (optional)</a>'
    workspace = reverse("submissions:work", args=[work.pk])
    assert link in client_for(people.student).get(workspace).content.decode()
    assert link not in client_for(people.mentor).get(workspace).content.decode()
    submit_and_run_tasks(work, people, django_capture_on_commit_callbacks)
    assert link not in client_for(people.student).get(workspace).content.decode()


def test_demo_gives_a_student_a_saved_self_assessment_on_a_draft(demo):
    call_command("seed_demo", stdout=io.StringIO())  # run again, idempotent
    draft = SelfAssessmentDraft.objects.select_related("work").get(work__cohort__slug="demo-cohort")
    assert draft.work.state == WeeklyWork.State.DRAFT
    assert draft.work.student.email == "sam@demo.example"
    assert not Assessment.objects.filter(revision__work=draft.work).exists()


def test_page_get_and_post_run_a_fixed_number_of_queries(people, rubric, client_for, django_assert_num_queries):
    work = draft_work(people)
    self_assessment_save_draft(work=work, by=people.student, scores=scores_for(rubric, 3), feedback=NOTE)
    client = client_for(people.student)
    data = commented(rubric, 4)
    client.get(url(work))  # warm the session
    # session, user, the work (with student, cohort, week and latest revision), the rubric
    # that applies, the saved draft (with its rubric), criteria, their levels, and the
    # navigation's roles of the viewer (base layout).
    with django_assert_num_queries(8):
        assert client.get(url(work)).status_code == 200
    # The same reads but the navigation's (7); then the service: savepoint, the locked work,
    # the rubric that applies, criteria, levels, the draft, the score's check constraint
    # (savepoint, check, release), the update, release (11).
    with django_assert_num_queries(18):
        assert client.post(url(work), data).status_code == 302
