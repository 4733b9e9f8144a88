"""The grade sync page of a cohort (what went to the LMS, what failed and why, a retry for
instructors) and the panel on the gradebook that leads to it: who may see them, a fixed
number of queries at 5 and 200 decisions, and that a GET writes nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lti.models import GradeSync
from rubrics.models import Assessment
from tests.factories import AssessmentFactory, ContextFactory, MentorAssignmentFactory
from tests.reports.bulk import bulk_cohort


@pytest.fixture
def lms_cohort(people):
    return ContextFactory(cohort=people.cohort, lineitems_url="https://lms.invalid/contexts/1/lineitems")


def _syncs(context, people, count: int, *, status=GradeSync.Status.SENT, student=None):
    """`count` accepted decisions in the LMS cohort: grade passback's receiver records each
    (failed at once here: nobody launched from the LMS); then set to `status`."""
    made = []
    for _ in range(count):
        assessment = AssessmentFactory(revision__work__cohort=people.cohort)
        sync = GradeSync.objects.get(assessment=assessment)
        changes = {"status": status} | ({"student": student} if student is not None else {})
        GradeSync.objects.filter(pk=sync.pk).update(**changes)
        made.append(sync)
    return made


@pytest.mark.django_db
def test_the_page_says_what_was_sent_and_why_one_failed(client, people, lms_cohort):
    [sent] = _syncs(lms_cohort, people, 1)
    [failed] = _syncs(lms_cohort, people, 1, status=GradeSync.Status.FAILED)
    GradeSync.objects.filter(pk=failed.pk).update(last_error="Sending the score: the LMS answered 422 not a member")
    client.force_login(people.instructor)
    page = client.get(reverse("lti:grade_syncs", args=[people.cohort.slug]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Sent: 1" in text and "Failed: 1" in text
    assert "the LMS answered 422 not a member" in text
    assert text.count("Send again") == 1
    assert f'id="grade-sync-{sent.pk}"' in text


@pytest.mark.django_db
def test_an_instructor_retries_a_failed_one(client, people, lms_cohort, django_capture_on_commit_callbacks):
    [failed] = _syncs(lms_cohort, people, 1, status=GradeSync.Status.FAILED)
    failed.lms_account = None
    client.force_login(people.instructor)
    url = reverse("lti:grade_sync_retry", args=[people.cohort.slug, failed.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        answer = client.post(url)
    assert answer.status_code == 302
    failed.refresh_from_db()
    # The student never launched from the LMS: still failed, with the reason said again.
    assert failed.status == GradeSync.Status.FAILED
    assert "never opened the course from the LMS" in failed.last_error
    assert callbacks == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who, status",
    [
        ("instructor", 200),
        ("admin", 200),
        ("mentor", 200),
        ("unassigned_mentor", 200),
        ("student", 404),
        ("other_student", 404),
        ("foreign_mentor", 404),
        ("foreign_student", 404),
    ],
)
def test_who_sees_the_grade_sync_page(client, people, lms_cohort, who, status):
    _syncs(lms_cohort, people, 1, status=GradeSync.Status.FAILED, student=people.student)
    client.force_login(getattr(people, who))
    page = client.get(reverse("lti:grade_syncs", args=[people.cohort.slug]))
    assert page.status_code == status
    if who == "unassigned_mentor":
        # A mentor sees their own students' rows only.
        assert "Send again" not in page.content.decode()
        assert people.student.display_name not in page.content.decode()
    if who == "mentor":
        assert people.student.display_name in page.content.decode()
        assert "Send again" not in page.content.decode()  # retrying is the instructors'


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["mentor", "student", "foreign_mentor"])
def test_only_instructors_retry(client, people, lms_cohort, who):
    [failed] = _syncs(lms_cohort, people, 1, status=GradeSync.Status.FAILED)
    client.force_login(getattr(people, who))
    answer = client.post(reverse("lti:grade_sync_retry", args=[people.cohort.slug, failed.pk]))
    assert answer.status_code == 404
    failed.refresh_from_db()
    assert failed.status == GradeSync.Status.FAILED


# session, user, the cohort with the viewer's role in it (every role check of the request is
# answered from it), the number of syncs, the LMS course, the counts per status, navigation
# roles, the page of syncs with student, week and deliverable.
SYNC_PAGE_QUERIES = 8


def _bulk_syncs(context, people, count: int) -> None:
    """`count` sent decisions, written in bulk: accepted weeks of a bulk cohort
    (tests/reports/bulk.py: two thirds of the weeks accepted per student) and the row grade
    passback's receiver records for each. For the query count at 200: a factory and the
    receiver per decision took most of a minute of the suite."""
    weeks = context.cohort.course.weeks.count()
    bulk_cohort(people.cohort, -(-count // (weeks * 2 // 3)), mentor=people.mentor, prefix="lms")
    accepted = (
        Assessment.objects.filter(revision__work__cohort=people.cohort, decision=Assessment.Decision.ACCEPT)
        .select_related("revision__work")
        .order_by("pk")[:count]
    )
    made = GradeSync.objects.bulk_create(
        GradeSync(
            assessment=assessment,
            context=context,
            work=assessment.revision.work,
            student_id=assessment.revision.work.student_id,
            score_given=assessment.score,
            timestamp=assessment.submitted_at,
            status=GradeSync.Status.SENT,
        )
        for assessment in accepted
    )
    assert len(made) == count


@pytest.mark.django_db
@pytest.mark.parametrize("size", [5, 200])
def test_the_sync_page_runs_a_fixed_number_of_queries(client, people, lms_cohort, django_assert_num_queries, size):
    _bulk_syncs(lms_cohort, people, size)
    client.force_login(people.instructor)
    with django_assert_num_queries(SYNC_PAGE_QUERIES):
        page = client.get(reverse("lti:grade_syncs", args=[people.cohort.slug]))
    assert page.content.decode().count('id="grade-sync-') == min(size, 100)


@pytest.mark.django_db
def test_the_gradebook_of_an_lms_cohort_leads_to_the_sync_page(client, people, lms_cohort):
    _syncs(lms_cohort, people, 2)
    _syncs(lms_cohort, people, 1, status=GradeSync.Status.FAILED)
    client.force_login(people.instructor)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("insights:gradebook", args=[people.cohort.slug]))
    text = page.content.decode()
    assert "<strong>2</strong> sent" in text and "1 failed" in text
    assert reverse("lti:grade_syncs", args=[people.cohort.slug]) in text
    assert reverse("lti:roster", args=[people.cohort.slug]) in text
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []

    MentorAssignmentFactory(cohort=people.cohort, mentor=people.mentor)
    client.force_login(people.mentor)
    text = client.get(reverse("insights:heatmap", args=[people.cohort.slug])).content.decode()
    assert reverse("lti:grade_syncs", args=[people.cohort.slug]) in text
    assert reverse("lti:roster", args=[people.cohort.slug]) not in text  # the roster is the instructors'


@pytest.mark.django_db
def test_the_gradebook_of_a_cohort_without_an_lms_has_no_panel(client, people):
    client.force_login(people.instructor)
    text = client.get(reverse("insights:gradebook", args=[people.cohort.slug])).content.decode()
    assert "lms-sync" not in text
