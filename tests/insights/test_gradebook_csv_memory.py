"""The gradebook's Export CSV streams: it reads REPORTS_CHUNK_SIZE students at a time and
writes each row as it goes, so its peak memory does not grow with the cohort. Measured with
tracemalloc while the response is consumed, at 50 and at 500 students."""

import csv
import io
import tracemalloc

import pytest
from django.urls import reverse

from tests.reports.bulk import bulk_cohort

pytestmark = pytest.mark.django_db


def _peak_while_streaming(client, cohort) -> tuple[int, int]:
    response = client.get(reverse("reports:gradebook_csv", args=[cohort.slug]))
    assert response.status_code == 200 and response.streaming
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        rows = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return rows, peak


def test_the_csv_export_peak_memory_is_flat_from_50_to_500_students(people, client_for, settings):
    settings.REPORTS_CHUNK_SIZE = 50
    bulk_cohort(people.cohort, 48, mentor=people.mentor, prefix="small")  # + the fixture's two
    bulk_cohort(people.other_cohort, 499, mentor=people.foreign_mentor, prefix="large")  # + foreign_student
    small_rows, small_peak = _peak_while_streaming(client_for(people.instructor), people.cohort)
    large_rows, large_peak = _peak_while_streaming(client_for(people.foreign_instructor), people.other_cohort)
    assert (small_rows, large_rows) == (1 + 50, 1 + 500)
    # Ten times the students, about the same peak: one chunk of rows is held at a time.
    assert large_peak < 2 * small_peak, (small_peak, large_peak)


def test_the_streamed_csv_has_every_student_once(people, client_for, settings):
    settings.REPORTS_CHUNK_SIZE = 7
    bulk_cohort(people.cohort, 20, mentor=people.mentor)
    response = client_for(people.instructor).get(reverse("reports:gradebook_csv", args=[people.cohort.slug]))
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    emails = [line[1] for line in lines[1:]]
    assert len(emails) == 22 and len(set(emails)) == 22
    assert lines[0][-3:] == ["Total", "Average", "Accepted"]
