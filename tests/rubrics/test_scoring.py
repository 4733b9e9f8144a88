"""assessment_record: the weighted score, the mentor decision, and every kind of bad input
refused with nothing half-saved."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from rubrics.models import Assessment, CriterionScore, Rubric
from rubrics.services import assessment_record, rubric_install_defaults, weighted_score
from submissions.models import WeeklyWork
from tests.factories import rubric_with_levels

from .conftest import scores_for, submit

pytestmark = pytest.mark.django_db


def record(revision, scorer, rubric, points, decision="accept", **kwargs):
    return assessment_record(
        revision=revision,
        scorer=scorer,
        kind=kwargs.pop("kind", Assessment.Kind.MENTOR),
        scores=kwargs.pop("scores", None) or scores_for(rubric, points),
        feedback=kwargs.pop("feedback", "Measured and argued well."),
        decision=decision,
        **kwargs,
    )


def _nothing_saved(revision, state=WeeklyWork.State.SUBMITTED):
    revision.work.refresh_from_db()
    assert Assessment.objects.count() == 0
    assert CriterionScore.objects.count() == 0
    assert revision.work.state == state


def test_weighted_score_is_sum_of_weight_times_points_over_the_maximum():
    # (25·4 + 25·3 + 20·2 + 15·1 + 15·4) / (100·4) = 290 / 400
    pairs = [(25, 4, 4), (25, 3, 4), (20, 2, 4), (15, 1, 4), (15, 4, 4)]
    assert weighted_score(pairs) == Decimal("72.50")
    assert weighted_score([(1, 1, 3)]) == Decimal("33.33")


def test_mentor_score_is_computed_stored_and_requests_changes(people, rubric):
    revision = submit(people.student, people.cohort)
    assessment = record(
        revision, people.mentor, rubric, [4, 3, 2, 1, 4], decision="request_changes", feedback="Rerun the gate."
    )
    assert assessment.score == Decimal("72.50")
    assert assessment.rubric == rubric
    assert assessment.scores.count() == 5
    revision.work.refresh_from_db()
    assert revision.work.state == WeeklyWork.State.CHANGES_REQUESTED


def test_mentor_accepts_the_latest_revision(people, rubric):
    revision = submit(people.student, people.cohort)
    record(revision, people.instructor, rubric, 4)
    revision.work.refresh_from_db()
    assert revision.work.state == WeeklyWork.State.ACCEPTED
    assert Assessment.objects.get().score == Decimal("100.00")


def test_first_use_freezes_the_rubric(people, rubric):
    assert rubric.frozen_at is None
    record(submit(people.student, people.cohort), people.mentor, rubric, 3)
    rubric.refresh_from_db()
    assert rubric.is_frozen


def test_level_from_another_rubric_is_refused_and_nothing_saved(people, rubric):
    revision = submit(people.student, people.cohort)
    foreign = rubric_with_levels(criteria=1)
    foreign_level = foreign.criteria.get().levels.first()
    scores = scores_for(rubric, 3)
    first = next(iter(scores))
    scores[first] = (foreign_level.pk, "")
    with pytest.raises(ValidationError) as exc:
        record(revision, people.mentor, rubric, 3, scores=scores)
    assert f"criterion_{first}" in exc.value.message_dict
    _nothing_saved(revision)


def test_level_of_another_criterion_of_the_same_rubric_is_refused(people, rubric):
    revision = submit(people.student, people.cohort)
    scores = scores_for(rubric, 3)
    (first, (level_a, _)), (second, (level_b, _)) = list(scores.items())[:2]
    scores[first] = (level_b, "")
    with pytest.raises(ValidationError):
        record(revision, people.mentor, rubric, 3, scores=scores)
    _nothing_saved(revision)


def test_missing_criterion_is_refused(people, rubric):
    revision = submit(people.student, people.cohort)
    scores = scores_for(rubric, 3)
    missing = list(scores)[-1]
    del scores[missing]
    with pytest.raises(ValidationError) as exc:
        record(revision, people.mentor, rubric, 3, scores=scores)
    assert f"criterion_{missing}" in exc.value.message_dict
    _nothing_saved(revision)


def test_score_on_a_revision_that_is_not_the_latest_is_refused(people, rubric):
    first = submit(people.student, people.cohort)
    record(first, people.mentor, rubric, 2, decision="request_changes")
    second = submit(people.student, people.cohort, note="Re-ran the gate.")
    with pytest.raises(ValidationError, match="latest"):
        record(first, people.instructor, rubric, 4)
    assert Assessment.objects.count() == 1
    second.work.refresh_from_db()
    assert second.work.state == WeeklyWork.State.RESUBMITTED


def test_mentor_decision_is_required(people, rubric):
    revision = submit(people.student, people.cohort)
    with pytest.raises(ValidationError) as exc:
        record(revision, people.mentor, rubric, 3, decision="")
    assert "decision" in exc.value.message_dict
    _nothing_saved(revision)


def test_requesting_changes_needs_overall_feedback(people, rubric):
    revision = submit(people.student, people.cohort)
    with pytest.raises(ValidationError) as exc:
        record(revision, people.mentor, rubric, 2, decision="request_changes", feedback="  ")
    assert "feedback" in exc.value.message_dict
    _nothing_saved(revision)


@pytest.mark.parametrize(
    "who", ["unassigned_mentor", "foreign_mentor", "foreign_instructor", "other_student", "student"]
)
def test_only_assigned_mentors_and_instructors_score(people, rubric, who):
    revision = submit(people.student, people.cohort)
    with pytest.raises(ValidationError):
        record(revision, getattr(people, who), rubric, 3)
    _nothing_saved(revision)


def test_a_mentor_cannot_score_the_same_revision_twice(people, rubric):
    revision = submit(people.student, people.cohort)
    record(revision, people.mentor, rubric, 2, decision="request_changes")
    with pytest.raises(ValidationError):
        record(revision, people.mentor, rubric, 4)
    assert Assessment.objects.count() == 1


def test_peers_and_self_give_no_decision(people, rubric):
    revision = submit(people.student, people.cohort)
    with pytest.raises(ValidationError) as exc:
        record(revision, people.student, rubric, 3, kind=Assessment.Kind.SELF, decision="accept")
    assert "decision" in exc.value.message_dict
    assessment = record(revision, people.student, rubric, 3, kind=Assessment.Kind.SELF, decision="")
    assert assessment.kind == "self" and assessment.decision == ""
    revision.work.refresh_from_db()
    assert revision.work.state == WeeklyWork.State.SUBMITTED  # a self-assessment decides nothing


def test_unassigned_peer_is_refused(people, rubric):
    revision = submit(people.student, people.cohort)
    with pytest.raises(ValidationError, match="not assigned"):
        record(revision, people.other_student, rubric, 3, kind=Assessment.Kind.PEER, decision="")
    _nothing_saved(revision)


def test_week_rubric_overrides_the_course_default(people, rubric):
    from rubrics.services import rubric_attach

    special = rubric_with_levels(criteria=2, weights=(3, 1))
    rubric_attach(
        rubric=special, course=people.cohort.course, scope="week", week=people.cohort.course.weeks.get(number=2)
    )
    week_two = submit(people.student, people.cohort, number=2)
    week_one = submit(people.student, people.cohort, number=1)
    assert record(week_two, people.mentor, special, [4, 1]).rubric == special
    # (3·4 + 1·1) / (4·4) = 13/16
    assert Assessment.objects.get(revision=week_two).score == Decimal("81.25")
    assert record(week_one, people.mentor, rubric, 3).rubric == rubric


def test_default_rubrics_are_idempotent_and_use_the_curriculum_language(course):
    weekly, capstone = rubric_install_defaults(course=course)
    again = rubric_install_defaults(course=course)
    assert again == (weekly, capstone)
    assert Rubric.objects.count() == 2
    titles = list(weekly.criteria.values_list("title", flat=True))
    assert titles == [
        "Architecture-level decision quality",
        "Trade-off and risk reasoning",
        "Measurable success criteria and evidence",
        "Quality gates passed",
        "Publication quality",
    ]
    assert all(c.levels.count() == 4 for c in weekly.criteria.all())
    assert course.rubric_attachments.get(scope="capstone_default").rubric == capstone
