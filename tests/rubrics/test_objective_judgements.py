"""Criteria linked to a week's outcome objectives (installed by default, frozen with the rubric
version), and the judgement of each objective when a mentor accepts the week."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from curriculum.models import Objective
from rubrics.models import Assessment, CriterionObjective, MasteryRule, ObjectiveJudgement
from rubrics.services import assessment_record, mastery_rule_set, rubric_install_defaults, rubric_new_version
from submissions.models import ImmutableError, WeeklyWork

from .conftest import scores_for, submit

pytestmark = pytest.mark.django_db


def outcomes(course, number: int) -> list[Objective]:
    return list(course.weeks.get(number=number).objectives.filter(kind=Objective.Kind.OUTCOME).order_by("order"))


def accept(revision, mentor, rubric, points, **kwargs):
    return assessment_record(
        revision=revision,
        scorer=mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, points),
        feedback="Good.",
        decision=kwargs.pop("decision", Assessment.Decision.ACCEPT),
        **kwargs,
    )


def test_the_default_rubric_links_each_outcome_to_the_criterion_that_evidences_it(course, rubric):
    week1, week17 = outcomes(course, 1), outcomes(course, 17)
    linked = {
        (link.objective_id, link.criterion.order)
        for link in CriterionObjective.objects.filter(criterion__rubric=rubric).select_related("criterion")
    }
    # Analyze … decision quality → 1; Evaluate … quality gates → 4; Design trade-offs → 2; Justify dossier → 3
    assert {(o.pk, order) for o, order in zip(week1, (1, 4, 2, 3), strict=True)} <= linked
    assert {(o.pk, order) for o, order in zip(week17, (1, 4, 2, 3), strict=True)} <= linked
    assert len(linked) == 24 * 4
    assert not CriterionObjective.objects.filter(objective__kind=Objective.Kind.ROUTINE).exists()


def test_installing_the_defaults_again_adds_no_link(course, rubric):
    before = CriterionObjective.objects.count()
    rubric_install_defaults(course=course)
    assert CriterionObjective.objects.count() == before


def test_links_freeze_with_the_version_and_a_new_version_copies_them(people, rubric):
    accept(submit(people.student, people.cohort), people.mentor, rubric, 3)
    rubric.refresh_from_db()
    link = CriterionObjective.objects.filter(criterion__rubric=rubric).first()
    with pytest.raises(ImmutableError):
        link.delete()
    with pytest.raises(ImmutableError):
        CriterionObjective.objects.filter(criterion__rubric=rubric).delete()
    with pytest.raises(ImmutableError):
        CriterionObjective.objects.create(criterion=link.criterion, objective=outcomes(people.cohort.course, 2)[0])

    copy = rubric_new_version(rubric=rubric)
    copied = set(CriterionObjective.objects.filter(criterion__rubric=copy).values_list("criterion__order", "objective"))
    original = set(
        CriterionObjective.objects.filter(criterion__rubric=rubric).values_list("criterion__order", "objective")
    )
    assert copied == original and len(copied) == 96
    CriterionObjective.objects.filter(criterion__rubric=copy, objective=link.objective).delete()  # editable again


def test_accepting_judges_each_outcome_by_the_default_rule(people, rubric):
    week1 = outcomes(people.cohort.course, 1)
    # criteria 1..5 at 4, 3, 2, 1, 4 points; the default rule wants 3 or more
    assessment = accept(submit(people.student, people.cohort), people.mentor, rubric, [4, 3, 2, 1, 4])

    judged = {j.objective_id: j for j in ObjectiveJudgement.objects.filter(assessment=assessment)}
    assert [judged[o.pk].met for o in week1] == [True, False, True, False]  # criteria 1 (4), 4 (1), 2 (3), 3 (2)
    assert all(not j.overridden and j.reason == "" for j in judged.values())
    assert judged[week1[0].pk].rule == "met when every linked criterion reaches 3 points or more"
    assert {j.work_id for j in judged.values()} == {assessment.revision.work_id}


def test_the_cohort_rule_changes_what_is_derived(people, rubric):
    mastery_rule_set(cohort=people.cohort, by=people.instructor, min_points=2, require=MasteryRule.Require.EVERY)
    assessment = accept(submit(people.student, people.cohort), people.mentor, rubric, [4, 3, 2, 1, 4])
    week1 = outcomes(people.cohort.course, 1)
    met = dict(ObjectiveJudgement.objects.filter(assessment=assessment).values_list("objective_id", "met"))
    assert [met[o.pk] for o in week1] == [True, False, True, True]


def test_every_and_average_rules_differ_on_uneven_levels():
    every = MasteryRule(min_points=3, require=MasteryRule.Require.EVERY)
    average = MasteryRule(min_points=3, require=MasteryRule.Require.AVERAGE)
    assert (every.judge([4, 2]), average.judge([4, 2])) == (False, True)
    assert (every.judge([3, 3]), average.judge([2, 3])) == (True, False)
    assert every.judge([]) is None


def test_only_the_cohorts_instructors_set_the_rule(people):
    for outsider in (people.mentor, people.student, people.foreign_instructor):
        with pytest.raises(ValidationError):
            mastery_rule_set(cohort=people.cohort, by=outsider, min_points=2, require=MasteryRule.Require.EVERY)
    with pytest.raises(ValidationError):
        mastery_rule_set(cohort=people.cohort, by=people.instructor, min_points=0, require=MasteryRule.Require.EVERY)
    assert not MasteryRule.objects.exists()


def test_a_mentor_overrides_a_judgement_with_a_reason(people, rubric):
    week1 = outcomes(people.cohort.course, 1)
    assessment = accept(
        submit(people.student, people.cohort),
        people.mentor,
        rubric,
        [4, 3, 2, 1, 4],
        judgements={week1[1].pk: (True, "The gates ran in the lab session; the report left them out.")},
    )
    judgement = ObjectiveJudgement.objects.get(assessment=assessment, objective=week1[1])
    assert (judgement.derived_met, judgement.met, judgement.overridden) == (False, True, True)
    assert judgement.reason.startswith("The gates ran")


def test_an_override_without_a_reason_is_refused_and_nothing_is_saved(people, rubric):
    week1 = outcomes(people.cohort.course, 1)
    revision = submit(people.student, people.cohort)
    with pytest.raises(ValidationError) as refused:
        accept(revision, people.mentor, rubric, [4, 3, 2, 1, 4], judgements={week1[0].pk: (False, "  ")})
    assert f"objective_{week1[0].pk}" in refused.value.message_dict
    revision.work.refresh_from_db()
    assert revision.work.state == WeeklyWork.State.SUBMITTED
    assert not Assessment.objects.exists() and not ObjectiveJudgement.objects.exists()


def test_judgements_of_another_weeks_objectives_are_refused(people, rubric):
    other = outcomes(people.cohort.course, 2)[0]
    with pytest.raises(ValidationError):
        accept(submit(people.student, people.cohort), people.mentor, rubric, 3, judgements={other.pk: (True, "x")})
    assert not ObjectiveJudgement.objects.exists()


def test_requesting_changes_judges_nothing(people, rubric):
    revision = submit(people.student, people.cohort)
    accept(revision, people.mentor, rubric, 2, decision=Assessment.Decision.REQUEST_CHANGES)
    assert not ObjectiveJudgement.objects.exists()
    week1 = outcomes(people.cohort.course, 1)
    revision = submit(people.student, people.cohort)
    with pytest.raises(ValidationError):
        accept(
            revision,
            people.mentor,
            rubric,
            2,
            decision=Assessment.Decision.REQUEST_CHANGES,
            judgements={week1[0].pk: (True, "Looks met.")},
        )


def _judged_again(judgement: ObjectiveJudgement, *, by, seconds_later: int, met: bool) -> ObjectiveJudgement:
    """A second judgement of the same objective of the same work, as an acceptance after a
    reopen would make it: its own assessment (by another scorer), `seconds_later` than the
    first's."""
    first = judgement.assessment
    again = Assessment.objects.create(
        revision=first.revision,
        rubric=first.rubric,
        scorer=by,
        kind=first.kind,
        decision=first.decision,
        score=first.score,
        submitted_at=first.submitted_at + datetime.timedelta(seconds=seconds_later),
    )
    return ObjectiveJudgement.objects.create(
        assessment=again, work=judgement.work, objective=judgement.objective, derived_met=met, met=met, rule="x"
    )


def test_the_current_judgement_is_the_latest_and_only_one_stands_per_objective_and_work(people, rubric):
    assessment = accept(submit(people.student, people.cohort), people.mentor, rubric, 4)
    first = ObjectiveJudgement.objects.filter(assessment=assessment).order_by("objective__order").first()
    assert first.met
    later = _judged_again(first, by=people.unassigned_mentor, seconds_later=60, met=False)
    tied = _judged_again(
        later, by=people.instructor, seconds_later=0, met=False
    )  # the same instant: the higher id stands
    current = ObjectiveJudgement.objects.current().filter(work=first.work, objective=first.objective)
    assert list(current.values_list("pk", flat=True)) == [tied.pk]
    others = ObjectiveJudgement.objects.current().filter(assessment=assessment).exclude(objective=first.objective)
    assert others.count() == ObjectiveJudgement.objects.filter(assessment=assessment).count() - 1
