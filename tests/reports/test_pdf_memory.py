"""The cohort PDF is laid out a part at a time, so the memory its layout needs follows the
part, not the cohort: measured with tracemalloc (WeasyPrint's boxes are Python objects) for a
cohort four times as large. Joining the parts (pypdf) then holds each page's objects until
the file is written: that phase grows with the pages, by a bounded amount per page."""

import datetime
import gc
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from pypdf import PdfReader

from reports import writers
from reports.generators import cohort_report
from tests.factories import CohortFactory, MembershipFactory
from tests.reports.bulk import bulk_cohort

NOW = datetime.datetime(2027, 3, 1, 12, tzinfo=datetime.UTC)  # every week of the cohorts below is past due


def peaks_while_writing(course, students: int, prefix: str) -> tuple[int, int, int]:
    """Peak Python heap in bytes while reading and laying out the cohort report's PDF for
    `students`, the peak while joining its parts, and its pages."""
    cohort = CohortFactory(course=course, start_date=datetime.date(2026, 9, 7))
    mentor = MembershipFactory(cohort=cohort, role="mentor").user
    bulk_cohort(cohort, students, mentor=mentor, prefix=prefix)
    document = cohort_report(cohort, progress=lambda fraction: None, now=NOW)
    peaks = {}

    def on_phase(name: str) -> None:
        if name == "writing":  # every part is laid out; the join comes next
            peaks["layout"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()

    with tempfile.TemporaryDirectory() as directory:
        target = Path(directory) / "report.pdf"
        gc.collect()
        tracemalloc.start()
        try:
            with target.open("wb") as out:
                writers.write_pdf(document, Path(directory), out, on_phase=on_phase)
            peaks["join"] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return peaks["layout"], peaks["join"], len(PdfReader(target).pages)


@pytest.mark.django_db
def test_the_pdf_layouts_memory_follows_the_part_not_the_cohort(course, monkeypatch, settings):
    settings.REPORTS_CHUNK_SIZE = 15  # the students whose facts are read at a time
    settings.REPORTS_PDF_PROCESSES = 1  # layout in this process, where tracemalloc sees it
    monkeypatch.setattr(writers, "PDF_ROWS_PER_PART", 15)
    peaks_while_writing(course, 5, "warm")  # the first layout loads fonts and WeasyPrint's modules
    small_layout, small_join, small_pages = peaks_while_writing(course, 30, "small")  # two parts
    large_layout, large_join, large_pages = peaks_while_writing(course, 120, "large")  # eight parts
    assert large_pages >= 3 * small_pages
    assert large_layout < 1.25 * small_layout, (small_layout, large_layout)
    per_page = (large_join - small_join) / (large_pages - small_pages)
    assert per_page < 200 * 1024, per_page
