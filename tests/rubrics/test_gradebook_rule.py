"""The work-state labels have one definition (submissions.models.WORK_STATUSES, chosen by
work_status) and the gradebook one computation (rubrics.selectors.gradebook_rows). The
gradebook page, its CSV export and the cohort report show the same status for the same work,
"Missing" included (a draft left past its due date was "Draft" on the page and "X" in the
report, which now spells out "Missing" as the page does; the export said "not_started" where the page said "Missing")."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.generators import LEGEND, summarise
from reports.selectors import course_frame, student_chunk
from rubrics.selectors import format_score
from submissions.models import WORK_STATUSES, Revision, WeeklyWork
from tests.factories import WeeklyWorkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def works(people, course):
    """The fixture's cohort is long past its first weeks: people.student left week 1 as a
    draft and had week 2 accepted (late); people.other_student never started anything."""
    week_1, week_2 = course.weeks.get(number=1), course.weeks.get(number=2)
    WeeklyWorkFactory(cohort=people.cohort, student=people.student, week=week_1)
    accepted = WeeklyWorkFactory(cohort=people.cohort, student=people.student, week=week_2)
    revision = Revision.objects.create(
        work=accepted,
        number=1,
        content={},
        submitted_at=timezone.now() - datetime.timedelta(days=1),
        due_at=timezone.now() - datetime.timedelta(days=2),
        is_late=True,
        submitted_by=people.student,
    )
    accepted.state, accepted.latest_revision = WeeklyWork.State.ACCEPTED, revision
    accepted.save(update_fields=["state", "latest_revision"])


def page_rows(people, client_for):
    response = client_for(people.instructor).get(reverse("insights:gradebook", args=[people.cohort.slug]))
    assert response.status_code == 200
    return response, {row.student_id: row for row in response.context["book"].rows}


def export_rows(people, client_for):
    response = client_for(people.instructor).get(reverse("reports:gradebook_csv", args=[people.cohort.slug]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return rows[0], {row[1]: row for row in rows[1:]}


def report_cells(people, student):
    frame = course_frame(people.cohort, timezone.now())
    (facts,) = student_chunk(frame, [student.pk])
    return summarise(frame, facts).cells


def test_a_draft_past_its_due_date_is_missing_on_the_page_the_export_and_the_report(people, works, client_for):
    response, rows = page_rows(people, client_for)
    draft, accepted = rows[people.student.pk].cells[:2]
    assert (draft.status.key, draft.label, draft.missing) == ("missing", "Missing", True)
    assert (accepted.status.key, accepted.label) == ("accepted", "Accepted")
    never = rows[people.other_student.pk].cells[0]
    assert never.status.key == "missing"
    body = response.content.decode()
    assert '<span class="badge warn">Missing</span>' in body

    header, export = export_rows(people, client_for)
    assert export[people.student.email][2:4] == ["missing", "accepted · late"]
    assert export[people.other_student.email][2] == "missing"

    assert report_cells(people, people.student)[:2] == ["Missing", "A"]
    assert report_cells(people, people.other_student)[0] == "Missing"

    # The student's dashboard flags the same week as overdue, by the same rule.
    dashboard = client_for(people.student).get(reverse("submissions:dashboard_cohort", args=[people.cohort.slug]))
    weeks = dashboard.context["d"].weeks
    assert (weeks[0].is_overdue, weeks[1].is_overdue) == (True, False)


def test_the_page_legend_and_the_report_legend_come_from_one_definition(people, works, client_for):
    response, _ = page_rows(people, client_for)
    body = response.content.decode()
    for status in WORK_STATUSES.values():
        assert f'<span class="badge {status.tone}">{status.label}</span>' in body
        assert (status.label if status.spelled_out else f"{status.letter} {status.label.lower()}") in LEGEND
    assert "Missing (past due" in LEGEND and "X " not in LEGEND
    assert "past due with nothing submitted" in body and "past due with nothing submitted" in LEGEND


def test_the_export_is_the_pages_computation_cell_for_cell(people, works, client_for):
    response, rows = page_rows(people, client_for)
    header, export = export_rows(people, client_for)
    book_columns = response.context["book"].columns  # a second request would be served from the cache
    assert header == ["Student", "Email", *[c.label for c in book_columns], "Total", "Average", "Accepted"]
    for row in rows.values():
        line = export[row.email]
        assert line[2:-3] == [cell.text for cell in row.cells]
        assert line[-3:] == [format_score(row.total), format_score(row.average), str(row.accepted)]


def test_a_mentor_exports_only_their_students_and_others_get_404(people, works, client_for):
    url = reverse("reports:gradebook_csv", args=[people.cohort.slug])
    unassigned = client_for(people.unassigned_mentor).get(url)
    assert unassigned.status_code == 200
    assert len(list(csv.reader(io.StringIO(b"".join(unassigned.streaming_content).decode())))) == 1
    assigned = client_for(people.mentor).get(url)
    emails = {row[1] for row in list(csv.reader(io.StringIO(b"".join(assigned.streaming_content).decode())))[1:]}
    assert emails == {people.student.email, people.other_student.email}
    assert assigned["X-Content-Type-Options"] == "nosniff" and assigned["Cache-Control"] == "private, no-store"
    for role in ("student", "foreign_mentor", "foreign_instructor", "stranger"):
        assert client_for(getattr(people, role)).get(url).status_code == 404
