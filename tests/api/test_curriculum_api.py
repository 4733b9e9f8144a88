"""Curriculum endpoints: public, complete, filterable, versioned."""

import pytest

from curriculum.models import Course

pytestmark = pytest.mark.django_db


def test_week_detail_has_objectives_lab_and_gates(client_for, course):
    body = client_for(None).get(f"/api/v1/courses/{course.slug}/weeks/1/").json()
    assert len([o for o in body["objectives"] if o["kind"] == "outcome"]) == 4
    assert all(o["bloom_level"] for o in body["objectives"] if o["kind"] == "outcome")
    assert body["lab"]["quality_gates"]
    assert body["lab"]["tools"]


def test_weeks_filter_by_number_range_and_phase(client_for, course):
    client = client_for(None)
    ranged = client.get(f"/api/v1/courses/{course.slug}/weeks/?number_min=5&number_max=7").json()["results"]
    phase = client.get(f"/api/v1/courses/{course.slug}/weeks/?phase=3").json()["results"]
    assert [w["number"] for w in ranged] == [5, 6, 7]
    assert [w["number"] for w in phase] == list(range(17, 25))


def test_course_detail_lists_all_weeks(client_for, course):
    body = client_for(None).get(f"/api/v1/courses/{course.slug}/").json()
    assert body["week_count"] == 24
    assert [w["number"] for w in body["weeks"]] == list(range(1, 25))


def test_unknown_course_version_is_404(client_for, course):
    assert client_for(None).get(f"/api/v1/courses/{course.slug}/?version=99").status_code == 404


def test_explicit_version_reads_that_version(client_for, course):
    newer = Course.objects.create(slug=course.slug, version=course.version + 1, title="Next edition")
    client = client_for(None)
    assert client.get(f"/api/v1/courses/{course.slug}/").json()["title"] == newer.title
    assert client.get(f"/api/v1/courses/{course.slug}/?version={course.version}").json()["title"] == course.title


def test_capstones_list_their_deliverables_and_due_weeks(client_for, course):
    projects = client_for(None).get(f"/api/v1/courses/{course.slug}/capstones/").json()
    assert len(projects) == 3
    assert all(len(p["deliverables"]) == 3 for p in projects)
    assert all(1 <= d["due_week"] <= 24 for p in projects for d in p["deliverables"])


def test_read_only_token_reads_the_curriculum(people, bearer_client, course):
    assert bearer_client(people.student, scope="read").get(f"/api/v1/courses/{course.slug}/").status_code == 200
