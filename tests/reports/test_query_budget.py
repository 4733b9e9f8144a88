import pytest

from reports.models import ReportRun
from reports.services import report_build, report_request
from tests.reports.bulk import bulk_cohort

# Building the report, per chunk of students: students, mentors, extensions, works,
# mentor scores, evidence tags, open risks, retrospectives, portfolio entries, the
# objectives met and judged (progress.selectors.objectives_met_by_student), the at-risk
# reasons (insights.selectors.at_risk_students with the rules given, decided in SQL: weeks,
# extensions, the one aggregate: 3), the improve items (retrospectives, statuses: submissions.
# selectors.improve_item_tally), the progress update (16). Once: the cohort's at-risk rules,
# claiming the run (savepoint, select for update, update, release, re-read attempts),
# weeks+labs, capstone projects, deliverables, student ids, the first progress update, the
# writing-phase update, the final update and re-read (14); marking it built tells its requester
# (6: savepoint, the status before, release; the run with requester and cohort, the
# notification's log row inserted and read back). A format that shows the notes (HTML, PDF)
# reads the whole cohort's improve items once more for their totals, streamed (2).
PER_CHUNK = 16
ONCE = 14 + 6
NOTES = {"csv": 0, "html": 2}
# The gradebook export reads less per chunk: students with their totals, extensions, works with
# their latest revision and latest mentor score, the progress update (4); once, the same but
# the at-risk rules (13), and telling the requester (6, as above).
GRADEBOOK_PER_CHUNK = 4
GRADEBOOK_ONCE = 13 + 6


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "html"])
def test_cohort_report_queries_grow_only_with_the_number_of_chunks(people, settings, django_assert_num_queries, fmt):
    settings.REPORTS_CHUNK_SIZE = 100
    bulk_cohort(people.cohort, 298, mentor=people.mentor)  # + student and other_student = 300: three chunks
    run = report_request(kind="cohort", fmt=fmt, cohort=people.cohort, by=people.instructor, enqueue_build=False)
    with django_assert_num_queries(ONCE + NOTES[fmt] + 3 * PER_CHUNK):
        run = report_build(run=run)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    with run.file.open("rb") as f:
        assert f.read().count(b"bulk") >= 298


@pytest.mark.django_db
def test_gradebook_export_queries_grow_only_with_the_number_of_chunks(people, settings, django_assert_num_queries):
    settings.REPORTS_CHUNK_SIZE = 100
    bulk_cohort(people.cohort, 298, mentor=people.mentor)
    run = report_request(kind="gradebook", fmt="csv", cohort=people.cohort, by=people.instructor, enqueue_build=False)
    with django_assert_num_queries(GRADEBOOK_ONCE + 3 * GRADEBOOK_PER_CHUNK):
        run = report_build(run=run)
    with run.file.open("rb") as f:
        assert len(f.read().splitlines()) == 301
