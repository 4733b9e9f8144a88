"""The gradebook's Export CSV streams: it reads REPORTS_CHUNK_SIZE students at a time and
writes each row as it goes, so its peak memory does not grow with the cohort. Measured with
tracemalloc while the response is consumed, at one chunk (20 students) and at ten (200)."""

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


def test_the_csv_export_peak_memory_is_flat_from_one_chunk_to_ten(people, client_for, settings):
    # One chunk and ten chunks, as at 50 and 500 students with chunks of 50 (a minute of the
    # suite under load, mostly building the 547 students): the claim depends on the ratio.
    settings.REPORTS_CHUNK_SIZE = 20
    bulk_cohort(people.cohort, 18, mentor=people.mentor, prefix="small")  # + the fixture's two
    bulk_cohort(people.other_cohort, 199, mentor=people.foreign_mentor, prefix="large")  # + foreign_student
    small_rows, small_peak = _peak_while_streaming(client_for(people.instructor), people.cohort)
    large_rows, large_peak = _peak_while_streaming(client_for(people.foreign_instructor), people.other_cohort)
    assert (small_rows, large_rows) == (1 + 20, 1 + 200)
    # Ten times the students, about the same peak: one chunk of rows is held at a time.
    assert large_peak < 2 * small_peak, (small_peak, large_peak)
    # The measurement sees rows held at these sizes: the same 200 read as a single chunk peak
    # above the bound the chunked export stays under.
    settings.REPORTS_CHUNK_SIZE = 200
    whole_rows, whole_peak = _peak_while_streaming(client_for(people.foreign_instructor), people.other_cohort)
    assert whole_rows == large_rows and whole_peak > 2 * small_peak, (small_peak, whole_peak)


def test_the_streamed_csv_has_every_student_once(people, client_for, settings):
    settings.REPORTS_CHUNK_SIZE = 7
    bulk_cohort(people.cohort, 20, mentor=people.mentor)
    response = client_for(people.instructor).get(reverse("reports:gradebook_csv", args=[people.cohort.slug]))
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    emails = [line[1] for line in lines[1:]]
    assert len(emails) == 22 and len(set(emails)) == 22
    assert lines[0][-3:] == ["Total", "Average", "Accepted"]
