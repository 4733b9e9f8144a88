"""Portfolio endpoints: your own portfolio and entries, and the public read by slug, with the
editor's and the public page's policies."""

import pytest

from portfolios.models import Portfolio, PortfolioEntry
from portfolios.services import entry_publish, portfolio_ensure, portfolio_update_profile
from tests.factories import reviewed_work

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def accepted(people, number: int = 2):
    return reviewed_work(
        cohort=people.cohort, student=people.student, week=people.cohort.course.weeks.get(number=number)
    )


def published(people, number: int = 2, *, visibility: str = "public") -> PortfolioEntry:
    entry = entry_publish(work=accepted(people, number), by=people.student, narrative="Cut p95.", artifact_ids=[])
    portfolio = entry.portfolio
    portfolio_update_profile(
        portfolio=portfolio, slug=portfolio.slug, display_name="Sam Student", visibility=visibility
    )
    return entry


def test_my_portfolio_before_the_first_save_is_a_private_suggestion(people, bearer_client):
    data = bearer_client(people.student).get("/api/v1/portfolio/").json()
    assert (data["exists"], data["visibility"], data["public_url"]) == (False, "private", None)
    assert data["slug"]
    assert not Portfolio.objects.filter(user=people.student).exists()


def test_update_creates_and_saves_the_profile(people, bearer_client):
    body = {
        "slug": "sam-builds",
        "display_name": "Sam",
        "headline": "Backend engineer",
        "visibility": "unlisted",
        "links": [{"label": "GitHub", "url": "https://github.com/sam"}],
    }
    response = bearer_client(people.student).put("/api/v1/portfolio/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    portfolio = Portfolio.objects.get(user=people.student)
    assert (portfolio.slug, portfolio.visibility, portfolio.headline) == ("sam-builds", "unlisted", "Backend engineer")
    assert response.json()["public_url"] == "/p/sam-builds/"


def test_update_with_a_taken_slug_is_a_field_error(people, bearer_client):
    portfolio_update_profile(portfolio=portfolio_ensure(user=people.other_student), slug="taken", display_name="X")
    body = {"slug": "taken", "display_name": "Sam", "visibility": "private"}
    response = bearer_client(people.student).put("/api/v1/portfolio/", body, content_type="application/json")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["slug"]


def test_publish_an_accepted_work(people, bearer_client):
    work = accepted(people)
    body = {"work": work.pk, "narrative": "Cut p95 latency from 900 ms to 40 ms."}
    response = bearer_client(people.student).post("/api/v1/portfolio/entries/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["is_published"] is True
    assert PortfolioEntry.objects.get(work=work).narrative == body["narrative"]


def test_publish_needs_a_narrative(people, bearer_client):
    body = {"work": accepted(people).pk, "narrative": "   "}
    response = bearer_client(people.student).post("/api/v1/portfolio/entries/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "narrative"


def test_publish_replays_with_idempotency_key(people, bearer_client):
    client = bearer_client(people.student)
    body = {"work": accepted(people).pk, "narrative": "Cut p95."}
    first = client.post(
        "/api/v1/portfolio/entries/", body, content_type="application/json", headers={"Idempotency-Key": "p"}
    )
    again = client.post(
        "/api/v1/portfolio/entries/", body, content_type="application/json", headers={"Idempotency-Key": "p"}
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


def test_another_student_cannot_publish_my_work(people, bearer_client):
    body = {"work": accepted(people).pk, "narrative": "Mine now."}
    response = bearer_client(people.other_student).post(
        "/api/v1/portfolio/entries/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert not PortfolioEntry.objects.exists()


def test_unpublish_hides_the_entry_from_the_public_read(people, bearer_client):
    entry = published(people)
    client = bearer_client(people.student)
    assert client.post(f"/api/v1/portfolio/entries/{entry.pk}/unpublish/").json()["is_published"] is False
    public = bearer_client(None).get(f"/api/v1/portfolios/{entry.portfolio.slug}/").json()
    assert public["entries"] == []


def test_unpublish_of_someone_elses_entry_is_404(people, bearer_client):
    entry = published(people)
    assert (
        bearer_client(people.other_student).post(f"/api/v1/portfolio/entries/{entry.pk}/unpublish/").status_code == 404
    )


def test_public_portfolio_shows_published_entries_to_anyone(people, bearer_client):
    entry = published(people)
    data = bearer_client(None).get(f"/api/v1/portfolios/{entry.portfolio.slug}/").json()
    assert data["display_name"] == "Sam Student"
    assert [e["id"] for e in data["entries"]] == [entry.pk]
    assert "email" not in str(data)


def test_private_portfolio_is_404_to_visitors_and_other_students(people, bearer_client):
    entry = published(people, visibility="private")
    url = f"/api/v1/portfolios/{entry.portfolio.slug}/"
    assert bearer_client(None).get(url).status_code == 404
    assert bearer_client(people.other_student).get(url).status_code == 404
    assert bearer_client(people.mentor).get(url).status_code == 200


def test_public_portfolio_answers_304_to_a_matching_etag(people, bearer_client):
    entry = published(people)
    client = bearer_client(None)
    url = f"/api/v1/portfolios/{entry.portfolio.slug}/"
    etag = client.get(url)["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_entries_list_queries(people, warm_client, django_assert_num_queries):
    for number in range(1, 13):
        published(people, number)
    client = warm_client(people.student)
    # token, entries, their proofs, the portfolio (for the proofs' paths)
    with django_assert_num_queries(4):
        assert len(client.get("/api/v1/portfolio/entries/").json()["results"]) == 12


def test_public_portfolio_queries(people, client_for, django_assert_num_queries):
    for number in range(1, 13):
        published(people, number)
    slug = Portfolio.objects.get(user=people.student).slug
    with django_assert_num_queries(3):  # portfolio, published entries, their proofs
        assert len(client_for(None).get(f"/api/v1/portfolios/{slug}/").json()["entries"]) == 12


def test_my_entries_filter_by_published(people, bearer_client):
    on_page = published(people, 2)
    taken_off = published(people, 3)
    client = bearer_client(people.student)
    assert client.post(f"/api/v1/portfolio/entries/{taken_off.pk}/unpublish/").status_code == 200

    def ids(**query) -> list[int]:
        return [row["id"] for row in client.get("/api/v1/portfolio/entries/", query).json()["results"]]

    assert ids(published="true") == [on_page.pk]
    assert ids(published="false") == [taken_off.pk]
    assert sorted(ids()) == sorted([on_page.pk, taken_off.pk])
    refused = client.get("/api/v1/portfolio/entries/", {"published": "maybe"})
    assert refused.status_code == 400
    assert [error["field"] for error in refused.json()["errors"]] == ["published"]
