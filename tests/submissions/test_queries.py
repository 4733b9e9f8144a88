"""The dashboard and the workspace run a fixed number of queries whatever the amount of
work: measured on a student with every week and deliverable worked, several revisions,
artifacts and risk entries each."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from submissions import services
from submissions.models import WeeklyWork
from tests.factories import RetrospectiveFactory, RiskEntryFactory

from .conftest import png

pytestmark = pytest.mark.django_db


def _fill(people, weeks: int, deliverables: bool, first_week: int = 1) -> WeeklyWork:
    student, cohort = people.student, people.cohort
    course_weeks = list(cohort.course.weeks.filter(number__gte=first_week, number__lte=weeks).order_by("number"))
    last = None
    for week in course_weeks:
        work = services.work_get_or_create(student=student, cohort=cohort, week=week)
        for item in week.lab.evidence_list[:2]:
            services.artifact_add_link(
                work=work, url=f"https://example.com/{week.number}", proves="Proof", evidence_item=item, by=student
            )
        services.artifact_upload(work=work, upload=png(), proves="Chart", by=student)
        first = services.work_submit(work=work, by=student)
        services.work_request_changes(work=work, revision=first, by=people.mentor)
        services.work_submit(work=work, by=student)
        RiskEntryFactory(student=student, cohort=cohort, week_opened=week)
        RiskEntryFactory(student=student, cohort=cohort, week_opened=week, kind="defect")
        RetrospectiveFactory(student=student, cohort=cohort, week=week)
        last = work
    if deliverables:
        for project in cohort.course.capstone_projects.all():
            for deliverable in project.deliverables.all():
                work = services.work_get_or_create(student=student, cohort=cohort, deliverable=deliverable)
                services.work_submit(work=work, by=student)
    return last


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_query_count_does_not_grow_with_work(people, client_for):
    client = client_for(people.student)
    url = reverse("submissions:dashboard")
    _fill(people, weeks=1, deliverables=False)
    small = _count(client, url)
    _fill(people, weeks=24, deliverables=True, first_week=2)
    assert _count(client, url) == small


def test_dashboard_query_budget_with_all_24_weeks(people, client_for, django_assert_num_queries):
    _fill(people, weeks=24, deliverables=True)
    client = client_for(people.student)
    # 1 session, 2 user, 3 student cohorts; dashboard_for: 4 weeks+labs, 5 capstone projects,
    # 6 deliverables, 7 extensions, 8 works+latest revisions, 9 evidence coverage,
    # 10 retrospectives, 11 risk entries, 12 current week's objectives; 13 navigation roles.
    with django_assert_num_queries(13):
        response = client.get(reverse("submissions:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    this_week_card = 1 if 'id="this-week-heading"' in body else 0
    assert body.count("state-resubmitted") == 24 + this_week_card


def test_workspace_query_count_does_not_grow_with_work(people, client_for):
    client = client_for(people.student)
    work = _fill(people, weeks=1, deliverables=False)
    # Measured in the state it ends in: "changes requested" asks for the mentor's request.
    services.work_request_changes(work=work, revision=work.latest_revision, by=people.mentor)
    small = _count(client, reverse("submissions:work", args=[work.pk]))
    for _ in range(4):
        services.artifact_upload(work=work, upload=png(), proves="More", by=people.student)
        services.work_submit(work=work, by=people.student)
        services.work_request_changes(work=work, revision=work.latest_revision, by=people.mentor)
    for _ in range(10):
        RiskEntryFactory(student=people.student, cohort=people.cohort, week_opened=work.week)
    assert _count(client, reverse("submissions:work", args=[work.pk])) == small


def test_workspace_query_budget_with_all_24_weeks(people, client_for, django_assert_num_queries):
    work = _fill(people, weeks=24, deliverables=True)
    services.work_request_changes(work=work, revision=work.latest_revision, by=people.mentor)
    client = client_for(people.student)
    # 1 session, 2 user, 3 work (+cohort, course, week, lab, latest revision); workspace_for:
    # 4 objectives, 5 quality gates, 6 artifacts, 7 revisions, 8 risk entries,
    # 9 retrospective, 10 extension, 11 week 23's retrospective (its improve items),
    # 12 improve item statuses of weeks 23-24; the workspace panels: 13 comment threads anchored
    # in the latest revision (feedback's panel: none here; tests/feedback pins 50 of them),
    # 14 the mentor's changes-requested assessment (none here: no scores to read);
    # 15 navigation roles.
    with django_assert_num_queries(15):
        response = client.get(reverse("submissions:work", args=[work.pk]))
    assert response.status_code == 200


def test_mentor_view_of_a_submitted_workspace_has_a_fixed_budget(people, client_for, django_assert_num_queries):
    work = _fill(people, weeks=24, deliverables=False)
    client = client_for(people.mentor)
    # As the student's workspace (15) without the changes-requested assessment (the week is
    # resubmitted), plus the policy check: membership role and mentor assignment. The
    # read-only rendering of the sections needs no further query.
    with django_assert_num_queries(16):
        assert client.get(reverse("submissions:work", args=[work.pk])).status_code == 200
