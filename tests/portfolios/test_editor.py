import pytest

from portfolios import services
from portfolios.models import Portfolio, PortfolioEntry
from submissions.models import WeeklyWork
from tests.factories import PortfolioFactory

PROFILE = {
    "slug": "sam-builds",
    "display_name": "Sam Student",
    "headline": "Backend engineer",
    "bio": "I **measure** first.",
    "links": "GitHub | https://github.com/sam\nBlog | https://sam.dev",
    "visibility": "public",
}


def test_editor_needs_sign_in(client_for):
    response = client_for(None).get("/portfolio/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_editor_lists_accepted_work_to_publish(client_for, people, accepted):
    work = accepted(week=2)
    body = client_for(people.student).get("/portfolio/").content.decode()
    assert f"/portfolio/publish/{work.pk}/" in body
    assert "<h1>Your portfolio</h1>" in body


def test_editor_shows_only_your_own_work(client_for, people, accepted):
    work = accepted(week=2)
    body = client_for(people.other_student).get("/portfolio/").content.decode()
    assert f"/portfolio/publish/{work.pk}/" not in body


def test_saving_the_profile_creates_the_portfolio(client_for, people):
    response = client_for(people.student).post("/portfolio/", PROFILE)
    assert response.status_code == 302
    portfolio = Portfolio.objects.get(user=people.student)
    assert (portfolio.slug, portfolio.visibility) == ("sam-builds", "public")
    assert portfolio.links == [
        {"label": "GitHub", "url": "https://github.com/sam"},
        {"label": "Blog", "url": "https://sam.dev"},
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slug", "admin", "reserved"),
        ("slug", "Bad Slug", "lower-case"),
        ("links", "Evil | javascript:alert(1)", "https://"),
        ("links", "no separator here", "Label | https://"),
    ],
)
def test_profile_errors_are_shown_next_to_the_field(client_for, people, field, value, message):
    response = client_for(people.student).post("/portfolio/", {**PROFILE, field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Portfolio.objects.filter(user=people.student, slug="admin").exists()


def test_taken_slug_is_refused(client_for, people):
    PortfolioFactory(slug="sam-builds")
    response = client_for(people.student).post("/portfolio/", PROFILE)
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_learner_publishes_from_the_browser(client_for, people, accepted):
    work = accepted(week=2)
    artifact = work.latest_revision.artifacts.get(kind="file")
    client = client_for(people.student)
    page = client.get(f"/portfolio/publish/{work.pk}/")
    assert page.status_code == 200 and artifact.original_name in page.content.decode()
    response = client.post(
        f"/portfolio/publish/{work.pk}/", {"narrative": "Cut p95 to 41 ms.", "artifacts": [artifact.pk]}
    )
    assert response.status_code == 302
    entry = PortfolioEntry.objects.get(work=work)
    assert list(entry.proofs.values_list("artifact_id", flat=True)) == [artifact.pk]


def test_publish_with_a_foreign_artifact_id_is_refused(client_for, people, accepted):
    work = accepted(week=2)
    other = accepted(week=3, student=people.other_student)
    foreign = other.latest_revision.artifacts.first()
    response = client_for(people.student).post(
        f"/portfolio/publish/{work.pk}/", {"narrative": "Story", "artifacts": [foreign.pk]}
    )
    assert response.status_code == 400
    assert not PortfolioEntry.objects.exists()


@pytest.mark.parametrize("viewer", ["other_student", "mentor", "admin", "foreign_mentor", "instructor"])
def test_only_the_learner_reaches_the_publish_page(client_for, people, accepted, viewer):
    work = accepted(week=2)
    assert client_for(getattr(people, viewer)).get(f"/portfolio/publish/{work.pk}/").status_code == 404


def test_work_that_is_not_accepted_cannot_be_published(client_for, people, accepted):
    work = accepted(week=2)
    WeeklyWork.objects.filter(pk=work.pk).update(state=WeeklyWork.State.CHANGES_REQUESTED)
    assert client_for(people.student).get(f"/portfolio/publish/{work.pk}/").status_code == 404


def test_entry_actions_unpublish_feature_and_move(client_for, people, accepted):
    entries = [
        services.entry_publish(work=accepted(week=n), by=people.student, narrative="S", artifact_ids=[]) for n in (1, 2)
    ]
    client = client_for(people.student)
    assert client.post(f"/portfolio/entries/{entries[1].pk}/up/").status_code == 302
    assert client.post(f"/portfolio/entries/{entries[0].pk}/feature/").status_code == 302
    assert client.post(f"/portfolio/entries/{entries[1].pk}/unpublish/").status_code == 302
    first, second = (PortfolioEntry.objects.get(pk=e.pk) for e in entries)
    assert first.featured and second.unpublished_at is not None and second.order < first.order


@pytest.mark.parametrize("viewer", ["other_student", "mentor", "admin"])
def test_entry_actions_of_another_learner_are_404(client_for, people, accepted, viewer):
    entry = services.entry_publish(work=accepted(week=1), by=people.student, narrative="S", artifact_ids=[])
    response = client_for(getattr(people, viewer)).post(f"/portfolio/entries/{entry.pk}/unpublish/")
    assert response.status_code == 404
    assert PortfolioEntry.objects.get(pk=entry.pk).is_published


def test_entry_actions_need_post(client_for, people, accepted):
    entry = services.entry_publish(work=accepted(week=1), by=people.student, narrative="S", artifact_ids=[])
    assert client_for(people.student).get(f"/portfolio/entries/{entry.pk}/unpublish/").status_code == 405


def test_editor_query_count_is_fixed(client_for, people, accepted, django_assert_num_queries):
    for n in range(1, 7):
        services.entry_publish(work=accepted(week=n), by=people.student, narrative="S", artifact_ids=[])
    client = client_for(people.student)
    # session, user, portfolio, entries, proofs, accepted works, the entries' credentials (the
    # credentials app's panel), nav roles
    with django_assert_num_queries(8):
        assert client.get("/portfolio/").status_code == 200
