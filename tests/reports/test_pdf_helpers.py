"""A PDF of several parts is laid out by helper processes side by side (REPORTS_PDF_PROCESSES,
reports/pdf_layout.py): the same pages and text as laid out in the build's own process, the
layout's CPU spent in the helpers, and a one-part report never starts them (it stays tagged)."""

import datetime
import resource
import tempfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from reports import writers
from reports.generators import cohort_report
from tests.factories import CohortFactory, MembershipFactory
from tests.reports.bulk import bulk_cohort

NOW = datetime.datetime(2027, 3, 1, 12, tzinfo=datetime.UTC)


def _helpers_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _build(document, *, tagged: list | None = None) -> tuple[list[str], float]:
    """The text of each page, and the CPU the helper processes spent on it; appends to `tagged`
    whether the PDF has a structure tree (WeasyPrint's tags)."""
    with tempfile.TemporaryDirectory() as directory:
        target = Path(directory) / "report.pdf"
        before = _helpers_cpu()
        with target.open("wb") as out:
            writers.write_pdf(document, Path(directory), out)
        reader = PdfReader(target)
        if tagged is not None:
            tagged.append("/StructTreeRoot" in reader.trailer["/Root"])
        return [page.extract_text() for page in reader.pages], _helpers_cpu() - before


@pytest.fixture
def cohort(course):
    cohort = CohortFactory(course=course, start_date=datetime.date(2026, 9, 7))
    mentor = MembershipFactory(cohort=cohort, role="mentor").user
    bulk_cohort(cohort, 12, mentor=mentor, prefix="helpers")
    return cohort


@pytest.mark.django_db
def test_helpers_lay_out_the_same_pages_as_the_builds_own_process(cohort, monkeypatch, settings):
    monkeypatch.setattr(writers, "PDF_ROWS_PER_PART", 3)  # four parts
    settings.REPORTS_PDF_PROCESSES = 1
    alone, alone_helpers = _build(cohort_report(cohort, progress=lambda fraction: None, now=NOW))
    settings.REPORTS_PDF_PROCESSES = 2
    helped, helpers = _build(cohort_report(cohort, progress=lambda fraction: None, now=NOW))
    assert helped == alone and len(helped) >= 4
    # The helpers' CPU (WeasyPrint started twice, four parts laid out) is counted once they have
    # ended; in-process, only whatever other child this process reaped meanwhile (none, or little).
    assert helpers > alone_helpers + 0.3, (helpers, alone_helpers)


@pytest.mark.django_db
def test_a_report_of_one_part_is_laid_out_in_the_build_and_stays_tagged(cohort, settings):
    settings.REPORTS_PDF_PROCESSES = 2
    tagged = []
    pages, _ = _build(cohort_report(cohort, progress=lambda fraction: None, now=NOW), tagged=tagged)
    assert pages and tagged == [True]  # helpers never tag a part: this one was laid out here
