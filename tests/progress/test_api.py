"""GET /api/v1/cohorts/<slug>/students/<id>/grades/ and …/mastery/: the page's figures, the
page's rule for who may read them (problem+json 404 otherwise), a fixed query count."""

import pytest
from django.urls import reverse

from cohorts.models import Membership
from curriculum.models import Objective
from rubrics.models import ObjectiveJudgement
from rubrics.selectors import rubric_criteria
from tests.factories import MembershipFactory
from tests.rubrics.conftest import submit

pytestmark = pytest.mark.django_db


def url(name: str, people, student=None) -> str:
    return reverse(f"api:student-{name}", args=[people.cohort.slug, (student or people.student).pk])


def test_grades_carry_the_hand_computed_figures(people, scored, client_for):
    data = client_for(people.student).get(url("grades", people)).json()
    assert (data["accepted"], data["scored"], data["average"], data["total"]) == (1, 2, "61.25", 33)
    w1, w2 = data["lines"][:2]
    assert (w1["key"], w1["state"], w1["score"], w1["decision"], w1["running_average"]) == (
        "w1",
        "accepted",
        "72.5",
        "Accept",
        "72.5",
    )
    assert (w2["state"], w2["score"], w2["decision"], w2["running_average"]) == (
        "changes_requested",
        "50",
        "Request changes",
        "61.25",
    )
    assert w1["feedback_revision_id"] == scored.week1.pk and w1["decided_at"].startswith("2026-09-11T")


def test_mastery_carries_cells_summary_and_the_median(people, scored, client_for):
    data = client_for(people.mentor).get(url("mastery", people)).json()
    cells = {(c["week"], c["bloom_level"]): c for c in data["cells"]}
    assert [cells[(1, level)]["state"] for level in ("analyze", "evaluate", "create")] == ["met", "not_yet", "met"]
    assert [o["state"] for o in cells[(1, "evaluate")]["objectives"]] == ["not_yet", "not_yet"]
    summary = {s["bloom_level"]: s for s in data["summary"]}
    assert (summary["evaluate"]["met"], summary["evaluate"]["not_met"], summary["evaluate"]["total"]) == (0, 2, 40)
    trade_offs = next(t for t in data["trends"] if t["criterion"] == "Trade-off and risk reasoning")
    assert trade_offs["points"][0] == {"week": 1, "percent": 75.0, "cohort_median": 87.5}


@pytest.mark.parametrize("name", ["grades", "mastery"])
@pytest.mark.parametrize("who", ["other_student", "unassigned_mentor", "foreign_mentor", "foreign_instructor"])
def test_others_get_a_problem_404(people, client_for, name, who):
    response = client_for(getattr(people, who)).get(url(name, people))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_someone_not_a_student_of_the_cohort_is_a_404(people, client_for):
    response = client_for(people.instructor).get(url("grades", people, student=people.mentor))
    assert response.status_code == 404 and response.json()["status"] == 404


@pytest.mark.parametrize("extra", [3, 198])
@pytest.mark.parametrize("name, queries", [("grades", 10), ("mastery", 12)])
def test_a_fixed_number_of_queries(people, scored, client_for, django_assert_num_queries, extra, name, queries):
    for _ in range(extra):  # 5 and 200 students
        MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT)
    client = client_for(people.instructor)
    client.get(url(name, people))  # the cohort's criterion medians are cached from here on
    # grades 10: session, user, the cohort with the instructor's role in it, the student by
    # their membership of the cohort, the gradebook columns (three) and row (two: extensions,
    # works with their latest mentor score read as tuples), the mentor decisions. mastery 12:
    # the same four, Bloom levels, weeks, extensions, the cells'
    # counts grouped in SQL, the objectives behind the cells, the per-level summary, the
    # medians' version (the highest mentor assessment id; the medians from the cache), the
    # student's own criterion scores.
    with django_assert_num_queries(queries):
        assert client.get(url(name, people)).status_code == 200


def test_a_mentor_accepts_through_the_api_with_an_override(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    outcomes = people.cohort.course.weeks.get(number=1).objectives.filter(kind=Objective.Kind.OUTCOME)
    first = outcomes.order_by("order")[0]
    scores = [{"criterion": c.pk, "level": c.levels.all()[0].pk} for c in rubric_criteria(rubric)]  # all at 4
    body = {"kind": "mentor", "decision": "accept", "feedback": "Fine.", "scores": scores}
    endpoint = reverse("api:v1:assessment-list", args=[revision.pk])
    client = client_for(people.mentor)

    refused = client.post(
        endpoint, {**body, "judgements": [{"objective": first.pk, "met": False}]}, content_type="application/json"
    )
    assert refused.status_code == 400 and "judgements.0" in str(refused.json())
    assert not ObjectiveJudgement.objects.exists()

    reason = "The analysis restates the lecture."
    judged = [{"objective": first.pk, "met": False, "reason": reason}]
    response = client.post(endpoint, {**body, "judgements": judged}, content_type="application/json")
    assert response.status_code == 201
    stored = {j.objective_id: (j.met, j.derived_met, j.reason) for j in ObjectiveJudgement.objects.all()}
    assert stored[first.pk] == (False, True, reason)
    assert sorted(met for met, _, _ in stored.values()) == [False, True, True, True]
