"""Improve items over the API: GET /api/v1/works/<id>/improve-items/ lists last week's items
shown in the work's week (reading writes nothing); PUT …/improve-items/<key>/ sets a status.
Roles are walked by test_contract.py; these pin the behaviour, the errors and the budget."""

import json

import pytest

from submissions import services
from submissions.models import ImproveItemStatus
from submissions.selectors import improve_items_for_work

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(people):
    """people.student's week 20, after a week-19 retrospective with three improve items."""
    services.retrospective_save(
        student=people.student,
        cohort=people.cohort,
        week=people.cohort.course.weeks.get(number=19),
        retain="Kept",
        improve="- Start load tests on Tuesday\n- Ask for review earlier\n- <img src=x onerror=alert(1)>",
        scale="Scaled",
    )
    week = people.cohort.course.weeks.get(number=20)
    return services.work_get_or_create(student=people.student, cohort=people.cohort, week=week)


def _url(work, key=None):
    return f"/api/v1/works/{work.pk}/improve-items/" + (f"{key}/" if key else "")


def _put(client, work, key, body):
    return client.put(_url(work, key), data=json.dumps(body), content_type="application/json")


def test_the_list_shows_each_item_with_a_null_status_and_writes_nothing(people, bearer_client, work):
    response = bearer_client(people.student).get(_url(work))
    assert response.status_code == 200
    rows = response.json()
    assert [row["text"] for row in rows] == [
        "Start load tests on Tuesday",
        "Ask for review earlier",
        "<img src=x onerror=alert(1)>",
    ]
    assert {row["status"] for row in rows} == {None}
    assert rows[0]["origin_week"] == 19 and rows[0]["carried_forward_from_earlier"] is False
    assert ImproveItemStatus.objects.count() == 0


def test_the_student_sets_a_status_and_setting_it_again_replaces_it(people, bearer_client, work):
    client = bearer_client(people.student)
    key = improve_items_for_work(work)[1].key
    response = _put(client, work, key, {"status": "done", "note": "Asked on Wednesday."})
    assert response.status_code == 200, response.content
    assert response.json() | {"key": key} == {
        "key": key,
        "text": "Ask for review earlier",
        "origin_week": 19,
        "carried_forward_from_earlier": False,
        "status": "done",
        "note": "Asked on Wednesday.",
    }
    assert _put(client, work, key, {"status": "done", "note": "Asked on Wednesday."}).status_code == 200
    assert ImproveItemStatus.objects.count() == 1
    listed = {row["key"]: row["status"] for row in client.get(_url(work)).json()}
    assert listed[key] == "done"


def test_errors_are_problem_details(people, bearer_client, work):
    client = bearer_client(people.student)
    key = improve_items_for_work(work)[0].key
    bad = _put(client, work, key, {"status": "finished"})
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/problem+json")
    assert "status" in json.dumps(bad.json())
    assert _put(client, work, key, {"status": "done", "note": "x" * 501}).status_code == 400
    assert _put(client, work, key, {"status": "done", "colour": "red"}).status_code == 400
    missing = _put(client, work, "0123456789abcdef", {"status": "done"})
    assert missing.status_code == 404 and missing["Content-Type"].startswith("application/problem+json")
    assert client.put(_url(work, key), data="{", content_type="application/json").status_code == 400
    assert ImproveItemStatus.objects.count() == 0


def test_a_handed_in_week_answers_409(people, bearer_client, work):
    key = improve_items_for_work(work)[0].key
    services.work_submit(work=work, by=people.student)
    response = _put(bearer_client(people.student), work, key, {"status": "done"})
    assert response.status_code == 409 and response.json()["code"] == "not_editable"


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("mentor", 200, 403),
        ("instructor", 200, 403),
        ("other_student", 404, 404),
        ("foreign_mentor", 404, 404),
        ("foreign_student", 404, 404),
        ("unassigned_mentor", 404, 404),
    ],
)
def test_others_read_as_the_work_allows_and_never_write(people, bearer_client, work, role, read, write):
    client = bearer_client(getattr(people, role))
    key = improve_items_for_work(work)[0].key
    assert client.get(_url(work)).status_code == read
    assert _put(client, work, key, {"status": "done"}).status_code == write
    assert ImproveItemStatus.objects.count() == 0


def test_anonymous_gets_401(work):
    from django.test import Client

    assert Client().get(_url(work)).status_code == 401


@pytest.mark.parametrize("items", [3, 20])
def test_the_list_has_a_fixed_budget(people, warm_client, django_assert_num_queries, items):
    services.retrospective_save(
        student=people.student,
        cohort=people.cohort,
        week=people.cohort.course.weeks.get(number=19),
        retain="Kept",
        improve="\n".join(f"- Item {n}" for n in range(items)),
        scale="Scaled",
    )
    week20 = services.work_get_or_create(
        student=people.student, cohort=people.cohort, week=people.cohort.course.weeks.get(number=20)
    )
    for item in improve_items_for_work(week20)[::2]:
        services.improve_item_set_status(work=week20, key=item.key, status="carried", by=people.student)
    client = warm_client(people.student)
    # 1 token with its user, 2 the work (+cohort, course, week, lab, latest revision),
    # 3 week 19's retrospective, 4 the statuses of weeks 19-20.
    with django_assert_num_queries(4):
        response = client.get(_url(week20))
    assert len(response.json()) == items
