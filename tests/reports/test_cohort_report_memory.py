"""What the cohort report reads for the whole cohort before its rows (the students' ids, the
at-risk rules, the notes' improve-item totals) and its first chunk of rows take the same memory
at ten times the students: tracemalloc's peak of the Python heap. At 33,340 students the
build once peaked 213 MiB over the process (docs/performance.md): the improve-item counts were
read for the whole cohort at once, every student's retrospectives held. The rows that follow
are read a chunk at a time (reports.selectors.student_chunk); the PDF's layout is measured in
test_pdf_memory.py."""

import datetime
import gc
import tracemalloc

import pytest
from django.utils import timezone

from reports.generators import cohort_report
from submissions import selectors as submissions_selectors
from tests.factories import CohortFactory, MembershipFactory
from tests.reports.bulk import bulk_cohort


def peak_before_the_second_chunk(course, students: int, prefix: str) -> tuple[int, list[str], list[str]]:
    """Peak Python heap in bytes while making the cohort report of a new cohort of `students`
    (every week begun, two thirds of them with a retrospective naming an improve item), its
    notes and its first row; with the notes and the first row."""
    cohort = CohortFactory(course=course, start_date=timezone.localdate() - datetime.timedelta(weeks=30))
    bulk_cohort(cohort, students, mentor=MembershipFactory(cohort=cohort, role="mentor").user, prefix=prefix)
    gc.collect()
    tracemalloc.start()
    try:
        document = cohort_report(cohort, progress=lambda fraction: None)
        notes = document.notes  # the whole cohort's improve-item totals
        first = next(iter(next(document.sections).rows))  # reads the first chunk
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, notes, first


@pytest.mark.django_db
def test_the_cohort_reports_whole_cohort_reads_do_not_grow_with_the_cohort(course, settings, monkeypatch):
    settings.REPORTS_CHUNK_SIZE = 20
    # The notes' totals stream retrospectives and statuses a fetch of rows at a time: below the
    # small cohort's 640 rows, so both sizes hold full fetches (at 2,000 the small one's whole
    # read fitted in one fetch and the large one's did not: 1.32x in a CI run).
    monkeypatch.setattr(submissions_selectors, "IMPROVE_ROWS_PER_FETCH", 200)
    peak_before_the_second_chunk(course, 5, "warm")  # the first report imports modules
    small, small_notes, small_row = peak_before_the_second_chunk(course, 40, "small")
    large, large_notes, large_row = peak_before_the_second_chunk(course, 400, "large")
    # Each student: 16 retrospectives naming one item, shown (not set yet) in the week after.
    assert "The whole cohort: 0 done, 0 carried forward, 0 dropped, 640 not set yet." in small_notes[-1]
    assert "The whole cohort: 0 done, 0 carried forward, 0 dropped, 6400 not set yet." in large_notes[-1]
    assert small_row[1] == "small00000@example.com" and large_row[1] == "large00000@example.com"
    print(small, large, large / small)
    assert large < 1.2 * small, (small, large)
