"""PATCH /api/v1/courses/<slug>/weeks/<n>/objectives/<order>/: the API saves objectives under
the admin's rule, the level follows the verb unless overridden, an unmapped verb is refused."""

import pytest
from django.contrib.auth.models import Permission

from curriculum.models import Objective
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXPLAIN = "Explain REST Conventions, Validation, and Error Contracts to a new teammate with one example."


def _url(course, week=3, order=1) -> str:
    return f"/api/v1/courses/{course.slug}/weeks/{week}/objectives/{order}/"


def _editor():
    """Staff with exactly the admin's permission to change objectives (not a superuser)."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_objective"))
    return user


def test_changing_the_verb_moves_the_level(course, bearer_client):
    response = bearer_client(_editor()).patch(
        _url(course), {"verb": "Explain", "text": EXPLAIN}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["verb"], body["text"], body["bloom_level"], body["bloom_level_overridden"]) == (
        "Explain",
        EXPLAIN,
        "understand",
        False,
    )
    objective = Objective.objects.get(week__course=course, week__number=3, order=1)
    assert objective.bloom_level.key == "understand"
    assert objective.history.first().history_user is not None
    week = bearer_client().get(f"/api/v1/courses/{course.slug}/weeks/3/").json()
    assert week["objectives"][0]["bloom_level"] == "understand"


def test_a_level_given_without_the_override_gives_way_to_the_verb(course, bearer_client):
    response = bearer_client(_editor()).patch(
        _url(course), {"bloom_level": "remember"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["bloom_level"] == "analyze"


def test_an_override_is_kept_and_reported(course, bearer_client):
    client = bearer_client(_editor())
    response = client.patch(
        _url(course), {"bloom_level": "create", "bloom_level_overridden": True}, content_type="application/json"
    )
    assert response.json()["bloom_level"] == "create" and response.json()["bloom_level_overridden"] is True
    response = client.patch(_url(course), {"verb": "Explain"}, content_type="application/json")
    assert response.json()["bloom_level"] == "create"


def test_an_unmapped_verb_is_a_400_that_points_to_the_mapping(course, bearer_client):
    response = bearer_client(_editor()).patch(_url(course), {"verb": "Ponder"}, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert errors[0]["field"] == "verb"
    assert "has no Bloom level in the verb mapping" in errors[0]["message"]
    assert "/admin/curriculum/bloomverb/" in errors[0]["message"]
    assert Objective.objects.get(week__course=course, week__number=3, order=1).verb == "Analyze"


def test_bad_input_is_a_400_not_a_500(course, bearer_client):
    client = bearer_client(_editor())
    assert client.patch(_url(course), {"bloom_level": "nope"}, content_type="application/json").status_code == 400
    assert client.patch(_url(course), {"verb": "x" * 41}, content_type="application/json").status_code == 400
    assert client.patch(_url(course, order=9), {"verb": "Explain"}, content_type="application/json").status_code == 404


@pytest.mark.parametrize("role", ["student", "mentor", "instructor", "stranger"])
def test_only_curriculum_editors_may_change_an_objective(role, course, people, bearer_client):
    response = bearer_client(getattr(people, role)).patch(
        _url(course), {"verb": "Explain"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert bearer_client().patch(_url(course), {"verb": "Explain"}, content_type="application/json").status_code == 401
    read_only = bearer_client(_editor(), scope="read")
    assert read_only.patch(_url(course), {"verb": "Explain"}, content_type="application/json").status_code == 403
    assert Objective.objects.get(week__course=course, week__number=3, order=1).verb == "Analyze"


def test_anyone_reads_an_objective(course, bearer_client):
    body = bearer_client().get(_url(course)).json()
    assert (body["order"], body["verb"], body["bloom_level"]) == (1, "Analyze", "analyze")
