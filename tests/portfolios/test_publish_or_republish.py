"""portfolios.services.entry_publish_or_republish says whether the entry is new, so the API
answers 201 for a first publication and 200 for a republication without an extra query."""

import pytest

from portfolios import services
from portfolios.models import PortfolioEntry

pytestmark = pytest.mark.django_db


def test_publishing_then_republishing_says_which(people, accepted):
    work = accepted(week=2)
    first, created = services.entry_publish_or_republish(
        work=work, by=people.student, narrative="First telling", artifact_ids=[]
    )
    again, created_again = services.entry_publish_or_republish(
        work=work, by=people.student, narrative="Second telling", artifact_ids=[]
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert PortfolioEntry.objects.get(pk=first.pk).narrative == "Second telling"


def test_the_api_answers_201_then_200_with_the_proofs(people, accepted, client_for):
    work = accepted(week=3)
    proof_ids = list(work.latest_revision.artifacts.values_list("pk", flat=True))
    client = client_for(people.student)
    body = {"work": work.pk, "narrative": "What I learned", "artifact_ids": proof_ids}
    first = client.post("/api/v1/portfolio/entries/", body, content_type="application/json")
    again = client.post("/api/v1/portfolio/entries/", body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    # Republishing replaces the proofs (new rows), with the same evidence in the same order.
    assert [proof["name"] for proof in again.json()["proofs"]] == [proof["name"] for proof in first.json()["proofs"]]
    assert len(first.json()["proofs"]) == len(proof_ids) == 2
