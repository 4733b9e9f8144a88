"""The scoring page's judgement section: the week's outcome objectives with what the cohort's
rule derives from the chosen levels (a preview that saves nothing), and overrides with reasons."""

import pytest
from django.urls import reverse

from curriculum.models import Objective
from rubrics.models import Assessment, MasteryRule, ObjectiveJudgement
from submissions.models import WeeklyWork

from .conftest import post_data, submit

pytestmark = pytest.mark.django_db


def week1_outcomes(cohort) -> list[Objective]:
    return list(cohort.course.weeks.get(number=1).objectives.filter(kind=Objective.Kind.OUTCOME).order_by("order"))


def test_the_scoring_page_lists_the_weeks_outcomes_and_the_rule(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    body = client_for(people.mentor).get(reverse("rubrics:score", args=[revision.pk])).content.decode()
    assert "Outcome objectives: judged when you accept" in body
    assert "met when every linked criterion reaches 3 points or more" in body
    for objective in week1_outcomes(people.cohort):
        assert f'name="objective_{objective.pk}"' in body
    assert body.count("pick the linked levels first") == 4


def test_the_preview_shows_what_the_rule_derives_and_saves_nothing(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    data = post_data(rubric, [4, 3, 2, 1, 4], decision="accept")
    response = client_for(people.mentor).post(reverse("rubrics:score", args=[revision.pk]), {**data, "preview": "1"})
    assert response.status_code == 200
    derived = [
        chunk.split("</strong>")[0] for chunk in response.content.decode().split('class="judgement-derived">')[1:]
    ]
    assert derived == ["Met", "Not yet met", "Met", "Not yet met"]
    assert not Assessment.objects.exists()
    revision.work.refresh_from_db()
    assert revision.work.state == WeeklyWork.State.SUBMITTED


def test_an_override_without_a_reason_is_shown_next_to_the_objective(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    objective = week1_outcomes(people.cohort)[1]
    data = {**post_data(rubric, [4, 3, 2, 1, 4], decision="accept"), f"objective_{objective.pk}": "met"}
    response = client_for(people.mentor).post(reverse("rubrics:score", args=[revision.pk]), data)
    assert response.status_code == 400
    assert f"Say why “{objective.verb}” is judged differently" in response.content.decode()
    assert not Assessment.objects.exists()


def test_accepting_with_an_override_stores_it_with_the_reason(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    objectives = week1_outcomes(people.cohort)
    data = {
        **post_data(rubric, [4, 3, 2, 1, 4], decision="accept"),
        f"objective_{objectives[0].pk}": "not_met",
        f"reason_{objectives[0].pk}": "The analysis copies the lecture; no link to this system.",
    }
    response = client_for(people.mentor).post(reverse("rubrics:score", args=[revision.pk]), data)
    assert response.status_code == 302
    met = {j.objective_id: (j.met, j.derived_met, j.reason) for j in ObjectiveJudgement.objects.all()}
    assert met[objectives[0].pk] == (False, True, "The analysis copies the lecture; no link to this system.")
    assert [met[o.pk][0] for o in objectives[1:]] == [False, True, False]


def test_requesting_changes_ignores_the_judgement_fields(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    objective = week1_outcomes(people.cohort)[0]
    data = {**post_data(rubric, 2, decision="request_changes"), f"objective_{objective.pk}": "met"}
    response = client_for(people.mentor).post(reverse("rubrics:score", args=[revision.pk]), data)
    assert response.status_code == 302
    assert not ObjectiveJudgement.objects.exists()


@pytest.mark.parametrize("who", ["student", "other_student", "unassigned_mentor", "foreign_mentor"])
def test_nobody_else_previews_or_judges(people, rubric, client_for, who):
    revision = submit(people.student, people.cohort)
    data = {**post_data(rubric, 4, decision="accept"), "preview": "1"}
    assert client_for(getattr(people, who)).post(reverse("rubrics:score", args=[revision.pk]), data).status_code == 404


def test_an_instructor_sets_the_cohorts_rule_on_its_page(people, client_for):
    url = reverse("rubrics:mastery_rule", args=[people.cohort.slug])
    client = client_for(people.instructor)
    assert "every linked criterion reaches 3 points or more (the default)" in client.get(url).content.decode()
    response = client.post(url, {"min_points": "2", "require": "average"})
    assert response.status_code == 302
    rule = MasteryRule.objects.get(cohort=people.cohort)
    assert (rule.min_points, rule.require) == (2, "average")
    assert "the linked criteria average 2 points or more" in client.get(url).content.decode()


def test_a_bad_rule_is_a_form_error(people, client_for):
    url = reverse("rubrics:mastery_rule", args=[people.cohort.slug])
    response = client_for(people.instructor).post(url, {"min_points": "0", "require": "most"})
    assert response.status_code == 400
    assert not MasteryRule.objects.exists()


@pytest.mark.parametrize(
    "who, status",
    [
        ("anonymous", 302),
        ("student", 404),
        ("other_student", 404),
        ("mentor", 404),
        ("foreign_mentor", 404),
        ("foreign_instructor", 404),
        ("instructor", 200),
        ("admin", 200),
    ],
)
def test_who_may_open_the_rule_page(people, client_for, who, status):
    client = client_for(None if who == "anonymous" else getattr(people, who))
    url = reverse("rubrics:mastery_rule", args=[people.cohort.slug])
    assert client.get(url).status_code == status
    if status != 200:
        assert client.post(url, {"min_points": "1", "require": "every"}).status_code == status
        assert not MasteryRule.objects.exists()


# --- A rule above the rubric's top level could never be met ---------------------------------------


def test_a_level_above_the_rubrics_top_is_refused_by_the_service(people, rubric):
    from django.core.exceptions import ValidationError

    from rubrics.selectors import mastery_points_ceiling
    from rubrics.services import mastery_rule_set

    assert mastery_points_ceiling(people.cohort) == 4  # the default rubric's levels: 1 to 4 points
    with pytest.raises(ValidationError) as refused:
        mastery_rule_set(cohort=people.cohort, by=people.instructor, min_points=5, require="every")
    assert refused.value.message_dict == {
        "min_points": [
            "The cohort's rubrics go up to 4 points: a level of 5 could never be reached. Choose 4 or fewer."
        ]
    }
    assert not MasteryRule.objects.exists()
    assert mastery_rule_set(cohort=people.cohort, by=people.instructor, min_points=4, require="every").min_points == 4


def test_a_level_above_the_rubrics_top_is_a_form_error_on_the_page(people, rubric, client_for):
    url = reverse("rubrics:mastery_rule", args=[people.cohort.slug])
    response = client_for(people.instructor).post(url, {"min_points": "5", "require": "every"})
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["min_points"] == [
        "The cohort's rubrics go up to 4 points: a level of 5 could never be reached. Choose 4 or fewer."
    ]
    assert "could never be reached" in response.content.decode()
    assert not MasteryRule.objects.exists()


def api_url(cohort) -> str:
    return f"/api/v1/cohorts/{cohort.slug}/mastery-rule/"


def test_the_api_reads_and_sets_the_rule_and_refuses_a_level_above_the_top(people, rubric, client_for):
    client = client_for(people.instructor)
    current = client.get(api_url(people.cohort)).json()
    assert current == {
        "cohort": people.cohort.slug,
        "min_points": 3,
        "require": "every",
        "description": "met when every linked criterion reaches 3 points or more",
        "is_default": True,
        "max_points": 4,
    }
    refused = client.put(api_url(people.cohort), {"min_points": 5, "require": "every"}, content_type="application/json")
    assert refused.status_code == 400 and refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["errors"] == [
        {
            "field": "min_points",
            "message": "The cohort's rubrics go up to 4 points: a level of 5 could never be reached. Choose 4 or fewer.",
        }
    ]
    shape = client.put(api_url(people.cohort), {"min_points": 0, "require": "most"}, content_type="application/json")
    assert shape.status_code == 400 and {e["field"] for e in shape.json()["errors"]} == {"min_points", "require"}
    assert not MasteryRule.objects.exists()
    saved = client.put(api_url(people.cohort), {"min_points": 2, "require": "average"}, content_type="application/json")
    assert saved.status_code == 200
    assert (saved.json()["min_points"], saved.json()["is_default"]) == (2, False)
    assert MasteryRule.objects.get(cohort=people.cohort).require == "average"


@pytest.mark.parametrize(
    "who, status",
    [
        ("anonymous", 401),
        ("student", 404),
        ("other_student", 404),
        ("mentor", 404),
        ("foreign_mentor", 404),
        ("foreign_instructor", 404),
        ("instructor", 200),
        ("admin", 200),
    ],
)
def test_who_may_read_and_set_the_rule_in_the_api(people, rubric, client_for, who, status):
    client = client_for(None if who == "anonymous" else getattr(people, who))
    assert client.get(api_url(people.cohort)).status_code == status
    response = client.put(
        api_url(people.cohort), {"min_points": 2, "require": "every"}, content_type="application/json"
    )
    assert response.status_code == status
    if status != 200:
        assert response["Content-Type"].startswith("application/problem+json")
    assert MasteryRule.objects.exists() is (status == 200)
