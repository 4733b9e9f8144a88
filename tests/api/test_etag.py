"""Conditional GETs on the curriculum: strong ETags, 304 when the client's copy is current."""

import pytest

from curriculum.models import Week

pytestmark = pytest.mark.django_db


@pytest.fixture
def week_url(course):
    return f"/api/v1/courses/{course.slug}/weeks/3/"


def test_curriculum_reads_carry_a_strong_etag(client_for, course, week_url):
    for url in [f"/api/v1/courses/{course.slug}/", f"/api/v1/courses/{course.slug}/weeks/", week_url]:
        response = client_for(None).get(url)
        assert response.status_code == 200
        assert response["ETag"].startswith('"') and not response["ETag"].startswith("W/")


def test_matching_if_none_match_answers_304_without_body(client_for, week_url):
    client = client_for(None)
    etag = client.get(week_url)["ETag"]
    response = client.get(week_url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_weak_and_listed_tags_match_too(client_for, week_url):
    client = client_for(None)
    etag = client.get(week_url)["ETag"]
    assert client.get(week_url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304


def test_stale_tag_gets_the_full_body(client_for, week_url):
    response = client_for(None).get(week_url, headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200
    assert response.json()["number"] == 3


def test_etag_changes_when_the_content_changes(client_for, course, week_url):
    client = client_for(None)
    before = client.get(week_url)["ETag"]
    Week.objects.filter(course=course, number=3).update(title="A renamed week")
    response = client.get(week_url, headers={"If-None-Match": before})
    assert response.status_code == 200
    assert response["ETag"] != before
    assert response.json()["title"] == "A renamed week"


def test_cohort_reads_carry_no_etag(people, bearer_client):
    response = bearer_client(people.student).get(f"/api/v1/cohorts/{people.cohort.slug}/")
    assert response.status_code == 200
    assert not response.has_header("ETag")
