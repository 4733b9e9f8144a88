"""Fixtures for the portfolio tests: files in a temporary media folder, an empty page cache,
and `accepted`, which takes a week or deliverable through the real workflow (upload, draft,
submit, mentor accepts) so every entry is published from genuinely accepted work."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from curriculum.models import CapstoneDeliverable
from portfolios import cache as page_cache
from portfolios import services as portfolio_services
from submissions import services as work_services
from tests.factories import PortfolioFactory

K6_SUMMARY = b"scenario: checkout\nrps: 200\np95: 41ms\nerrors: 0.00%\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    page_cache.local_pages.clear()
    yield
    cache.clear()
    page_cache.local_pages.clear()


@pytest.fixture
def accepted(people):
    """accepted(week=3) or accepted(deliverable=d): an accepted work of people.student (or
    student=…), with one text file and one link as evidence."""

    def make(*, week=None, deliverable=None, student=None, mentor=None, files=None, link=True, text="Concept"):
        student = student or people.student
        mentor = mentor or people.mentor
        if week is not None:
            week = people.cohort.course.weeks.get(number=week)
        work = work_services.work_get_or_create(
            student=student, cohort=people.cohort, week=week, deliverable=deliverable
        )
        for name, body in files if files is not None else [("k6-summary.txt", K6_SUMMARY)]:
            work_services.artifact_upload(
                work=work, upload=SimpleUploadedFile(name, body), proves="p95 under 50 ms at 200 req/s", by=student
            )
        if link:
            work_services.artifact_add_link(
                work=work, url="https://github.com/example/checkout-bench", proves="The benchmark code", by=student
            )
        work_services.work_save_draft(
            work=work, content={"concept": {"text": text}}, expected_version=work.draft_version, by=student
        )
        revision = work_services.work_submit(work=work, by=student)
        work_services.work_accept(work=work, revision=revision, by=mentor)
        work.refresh_from_db()
        return work

    return make


def first_deliverable(course) -> CapstoneDeliverable:
    return CapstoneDeliverable.objects.filter(project__course=course).order_by("project__number", "order").first()


@pytest.fixture
def published(people, accepted, course):
    """people.student's public portfolio with two weeks and a capstone deliverable."""
    portfolio = PortfolioFactory(user=people.student, slug="sam-student", display_name="Sam Student")
    entries = []
    for target in ({"week": 2}, {"week": 10}, {"deliverable": first_deliverable(course)}):
        work = accepted(**target)
        ids = list(work.latest_revision.artifacts.values_list("pk", flat=True))
        entries.append(
            portfolio_services.entry_publish(
                work=work, by=people.student, narrative=f"Narrative for {work.target_label}", artifact_ids=ids
            )
        )
    portfolio.refresh_from_db()
    return portfolio, entries
