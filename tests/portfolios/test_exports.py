import hashlib
import io
import zipfile

import pypdf
import pytest

from portfolios import services
from tests.factories import PortfolioFactory

from .conftest import K6_SUMMARY, first_deliverable


@pytest.fixture
def portfolio(people, accepted, course):
    portfolio = PortfolioFactory(user=people.student, slug="sam-student", display_name="Sam Student")
    for target in ({"week": 2}, {"deliverable": first_deliverable(course)}):
        work = accepted(**target)
        ids = list(work.latest_revision.artifacts.values_list("pk", flat=True))
        services.entry_publish(work=work, by=people.student, narrative=f"Story of {work.pk}", artifact_ids=ids)
    hidden = services.entry_publish(work=accepted(week=3), by=people.student, narrative="Hidden", artifact_ids=[])
    services.entry_unpublish(entry=hidden, by=people.student)
    return portfolio


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_zip_export_has_index_artifacts_and_checksums(client_for, people, portfolio):
    response = client_for(people.student).get("/portfolio/export.zip")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(_content(response)))
    names = archive.namelist()
    assert "index.html" in names and "SHA256SUMS" in names
    index = archive.read("index.html").decode()
    assert "<h1>Sam Student</h1>" in index
    assert "Hidden" not in index
    assert '<link rel="stylesheet"' not in index and "<style>" in index
    files = [n for n in names if n.startswith("artifacts/")]
    assert len(files) == 2
    sums = dict(line.split("  ")[::-1] for line in archive.read("SHA256SUMS").decode().splitlines())
    for name in files:
        data = archive.read(name)
        assert data == K6_SUMMARY
        assert hashlib.sha256(data).hexdigest() == sums[name]
        assert f'href="{name}"' in index
        assert sums[name] in index


def test_pdf_export_contains_the_learner_and_entries(client_for, people, portfolio):
    response = client_for(people.student).get("/portfolio/export.pdf")
    assert response.status_code == 200
    data = _content(response)
    assert data.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert "Sam Student" in text
    assert "Story of" in text and "Hidden" not in text


def test_exports_need_sign_in(client_for, portfolio):
    for url in ("/portfolio/export.zip", "/portfolio/export.pdf"):
        assert client_for(None).get(url).status_code == 302


@pytest.mark.parametrize("viewer", ["other_student", "mentor"])
def test_exports_are_only_of_your_own_portfolio(client_for, people, portfolio, viewer):
    # Someone without a portfolio gets a 404; nobody can name another learner's portfolio.
    assert client_for(getattr(people, viewer)).get("/portfolio/export.zip").status_code == 404
