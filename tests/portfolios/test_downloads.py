import hashlib

import pytest

from portfolios import services
from portfolios.models import Portfolio, PortfolioEntryArtifact
from tests.factories import PortfolioFactory

from .conftest import K6_SUMMARY


@pytest.fixture
def proof(people, accepted):
    PortfolioFactory(user=people.student, slug="sam-student")
    work = accepted(week=3)
    ids = list(work.latest_revision.artifacts.values_list("pk", flat=True))
    entry = services.entry_publish(work=work, by=people.student, narrative="Story", artifact_ids=ids)
    return entry.proofs.get(kind="file")


def _url(slug, pk):
    return f"/p/{slug}/artifacts/{pk}/"


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_visitor_downloads_a_proof_whose_digest_matches(client_for, proof):
    response = client_for(None).get(_url("sam-student", proof.pk))
    assert response.status_code == 200
    body = _body(response)
    assert body == K6_SUMMARY
    assert hashlib.sha256(body).hexdigest() == proof.sha256 == response["X-Checksum-SHA256"]
    assert response["ETag"] == f'"{proof.sha256}"'


def test_download_is_an_attachment_with_safe_headers(client_for, proof):
    response = client_for(None).get(_url("sam-student", proof.pk))
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="k6-summary.txt"' in response["Content-Disposition"]
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_proof_of_an_unpublished_entry_is_not_downloadable(client_for, people, proof):
    services.entry_unpublish(entry=proof.entry, by=people.student)
    for viewer in (None, people.other_student):
        assert client_for(viewer).get(_url("sam-student", proof.pk)).status_code == 404


@pytest.mark.parametrize(
    ("viewer", "status"),
    [(None, 404), ("student", 200), ("mentor", 200), ("admin", 200), ("other_student", 404), ("foreign_mentor", 404)],
)
def test_proof_of_a_private_portfolio_follows_portfolio_visibility(client_for, people, proof, viewer, status):
    Portfolio.objects.filter(pk=proof.entry.portfolio_id).update(visibility=Portfolio.Visibility.PRIVATE)
    response = client_for(getattr(people, viewer) if viewer else None).get(_url("sam-student", proof.pk))
    assert response.status_code == status
    if status == 200:
        assert response["Cache-Control"] == "private, no-store"


def test_guessed_ids_and_other_slugs_are_404(client_for, people, accepted, proof):
    # Another learner's published proof cannot be fetched through this slug, and vice versa.
    PortfolioFactory(user=people.other_student, slug="lee-student")
    work = accepted(week=4, student=people.other_student)
    ids = list(work.latest_revision.artifacts.values_list("pk", flat=True))
    other = services.entry_publish(work=work, by=people.other_student, narrative="S", artifact_ids=ids)
    other_proof = other.proofs.get(kind="file")
    client = client_for(None)
    assert client.get(_url("sam-student", other_proof.pk)).status_code == 404
    assert client.get(_url("lee-student", proof.pk)).status_code == 404
    assert client.get(_url("sam-student", 999999)).status_code == 404
    assert client.get(_url("sam-student", proof.artifact_id + 1000)).status_code == 404
    assert client.get(_url("lee-student", other_proof.pk)).status_code == 200


def test_an_artifact_that_is_not_a_proof_is_unreachable(client_for, people, accepted, proof):
    # The work's link artifact was picked, but a second file in the revision was not.
    work = accepted(week=5, files=[("a.txt", b"picked\n"), ("b.txt", b"not picked\n")], link=False)
    picked = work.latest_revision.artifacts.get(original_name="a.txt")
    services.entry_publish(work=work, by=people.student, narrative="S", artifact_ids=[picked.pk])
    unpicked = work.latest_revision.artifacts.get(original_name="b.txt")
    assert not PortfolioEntryArtifact.objects.filter(artifact=unpicked).exists()
    client = client_for(None)
    statuses = {client.get(_url("sam-student", pk)).status_code for pk in range(1, proof.pk + 10)}
    bodies = {
        _body(r)
        for r in [client.get(_url("sam-student", pk)) for pk in range(1, proof.pk + 10)]
        if r.status_code == 200
    }
    assert statuses == {200, 404}
    assert b"not picked\n" not in bodies


def test_link_proofs_have_no_download(client_for, proof):
    link = proof.entry.proofs.get(kind="link")
    assert client_for(None).get(_url("sam-student", link.pk)).status_code == 404
