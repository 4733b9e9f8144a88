"""The mentor's rubric score appears on an entry only when the learner opts in."""

from decimal import Decimal

import pytest
from django.utils import timezone

from portfolios import services
from portfolios.selectors import mentor_score_for_revision
from rubrics.models import Assessment, Rubric
from tests.factories import PortfolioFactory


@pytest.fixture
def scored(people, accepted):
    """An accepted week whose accepted revision the mentor scored 87.50 with a rubric."""
    work = accepted(week=2)
    rubric = Rubric.objects.create(family="portfolio-test", title="Weekly work")
    Assessment.objects.create(
        revision=work.latest_revision,
        rubric=rubric,
        scorer=people.mentor,
        kind=Assessment.Kind.MENTOR,
        decision=Assessment.Decision.ACCEPT,
        score=Decimal("87.50"),
        submitted_at=timezone.now(),
    )
    PortfolioFactory(user=people.student, slug="sam-student")
    return work


def test_selector_reads_the_mentor_score(scored):
    assert mentor_score_for_revision(scored.latest_revision) == Decimal("87.50")


def test_score_is_shown_when_the_learner_opts_in(client_for, people, scored):
    services.entry_publish(work=scored, by=people.student, narrative="S", artifact_ids=[], include_score=True)
    body = client_for(None).get("/p/sam-student/").content.decode()
    assert "Mentor's rubric score: <strong>87.50</strong> / 100" in body


def test_score_is_hidden_by_default(client_for, people, scored):
    entry = services.entry_publish(work=scored, by=people.student, narrative="S", artifact_ids=[])
    assert entry.mentor_score is None
    assert "rubric score" not in client_for(None).get("/p/sam-student/").content.decode()


def test_publish_page_offers_the_score_checkbox_only_when_scored(client_for, people, scored, accepted):
    client = client_for(people.student)
    assert 'name="include_score"' in client.get(f"/portfolio/publish/{scored.pk}/").content.decode()
    unscored = accepted(week=3)
    assert 'name="include_score"' not in client.get(f"/portfolio/publish/{unscored.pk}/").content.decode()
