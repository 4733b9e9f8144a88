"""The cohort report counts the retrospectives' improve items per student (done / carried /
dropped / not set, over the weeks begun) and, in its notes, for the whole cohort: the same rule
as the workspace (submissions.selectors.improve_items_shown)."""

import pytest

from reports.generators import IMPROVE_COLUMN
from reports.models import ReportRun
from submissions import services
from submissions.selectors import improve_items_for_work

from .test_contents import build, by_email, csv_rows


@pytest.mark.django_db
def test_the_cohort_report_counts_improve_items_per_student_and_for_the_cohort(known):
    student = known.people.student
    week2 = student.weekly_works.get(week=known.weeks[2])  # changes requested: open to the student
    (item,) = improve_items_for_work(week2)
    services.improve_item_set_status(work=week2, key=item.key, status="carried", by=student)

    html = build(ReportRun.Kind.COHORT, ReportRun.Format.HTML, known)
    assert html.status == ReportRun.Status.SUCCEEDED, html.error
    with html.file.open("rb") as f:
        assert "0 done, 1 carried forward, 0 dropped, 5 not set yet" in f.read().decode()
    run = build(ReportRun.Kind.COHORT, ReportRun.Format.CSV, known)
    rows = by_email(csv_rows(run))
    # The student: week 1's item carried forward in week 2, shown again (not set) in week 3;
    # week 2's retrospective lists nothing. The other student: weeks 1-4 each name one item,
    # shown in weeks 2-5 without a status.
    assert rows[student.email][IMPROVE_COLUMN] == "0/1/0/1"
    assert rows[known.people.other_student.email][IMPROVE_COLUMN] == "0/0/0/4"
