"""The gradebook and the heatmap kept whole by core/pagecache.py: a repeat is answered before
the middleware (courseplatform/fast_path.py) with two cache reads and two queries, and everything the page shows gives it a new key: a submission, a mentor's
decision, a grade sync's status (the LMS panel's version), members and mentors, every query
string, and the viewer."""

import pytest
from django.test import TestCase
from django.urls import reverse

from cohorts.models import Membership
from cohorts.services import membership_remove, mentor_assign
from lti.models import GradeSync
from lti.services.grades import grade_sync_retry
from submissions import services as submission_services
from tests.factories import ContextFactory, GradeSyncFactory, LmsAccountFactory

from .conftest import score
from .test_gradebook import CACHED_PAGE_QUERIES, cells_of, names

pytestmark = pytest.mark.django_db

VIEWS = ["insights:gradebook", "insights:heatmap"]


def url_of(view: str, cohort) -> str:
    return reverse(view, args=[cohort.slug])


@pytest.mark.parametrize("view", VIEWS)
def test_a_repeat_is_the_kept_page_in_one_or_two_queries(graded, client_for, django_assert_num_queries, view):
    client = client_for(graded.instructor)
    first = client.get(url_of(view, graded.cohort), {"sort": "name", "dir": "desc"})
    assert first.page_cache == "miss"
    # The first look of the fast path at this session (the first answer set the CSRF cookie):
    # the session; the user with their cohorts (their role here) and unread count.
    with django_assert_num_queries(2):
        again = client.get(url_of(view, graded.cohort), {"sort": "name", "dir": "desc"})
    # Then both in one statement, for the user this process saw in that session.
    with django_assert_num_queries(CACHED_PAGE_QUERIES):
        assert client.get(url_of(view, graded.cohort), {"sort": "name", "dir": "desc"}).page_cache_path == "fast"
    assert again.page_cache == "hit"  # the body kept; only the CSRF token is this request's own
    assert again.page_cache_path == "fast"
    assert names(again) == names(first) == ["Cy Young", "Bea Carter", "Ada Lovelace"]


@pytest.mark.parametrize("view", VIEWS)
def test_a_submission_gives_the_page_a_new_key(graded, client_for, view):
    client = client_for(graded.instructor)
    client.get(url_of(view, graded.cohort))
    assert client.get(url_of(view, graded.cohort)).page_cache == "hit"
    week = graded.cohort.course.weeks.get(number=1)
    work = submission_services.work_get_or_create(student=graded.third, cohort=graded.cohort, week=week)
    submission_services.work_submit(work=work, by=graded.third)
    after = client.get(url_of(view, graded.cohort))
    assert after.page_cache == "miss"
    assert client.get(url_of(view, graded.cohort)).page_cache == "hit"


def test_a_mentor_decision_shows_on_the_kept_page(graded, client_for, rubric):
    client = client_for(graded.unassigned_mentor)  # Cy Young's mentor
    url = url_of("insights:gradebook", graded.cohort)
    week = graded.cohort.course.weeks.get(number=4)
    work = submission_services.work_get_or_create(student=graded.third, cohort=graded.cohort, week=week)
    revision = submission_services.work_submit(work=work, by=graded.third)
    before = client.get(url)
    assert client.get(url).page_cache == "hit"
    score(revision, graded.unassigned_mentor, 4)  # rubrics.services.assessment_record, accepting
    after = client.get(url)
    assert after.page_cache == "miss"
    assert "gb-score" not in cells_of(before, "Cy Young") and "gb-score" in cells_of(after, "Cy Young")


def test_a_grade_sync_status_change_shows_on_the_kept_page(graded, client_for, django_capture_on_commit_callbacks):
    cohort = graded.cohort
    context = ContextFactory(cohort=cohort, lineitems_url="https://lms.example.edu/lineitems")
    LmsAccountFactory(platform=context.platform, user=graded.student)
    work = graded.student.weekly_works.get(cohort=cohort, week__number=1)
    sync = GradeSyncFactory(
        assessment=work.latest_revision.assessments.get(),
        context=context,
        status=GradeSync.Status.FAILED,
        last_error="The LMS refused the score.",
    )
    client = client_for(graded.instructor)
    url = url_of("insights:gradebook", cohort)
    first = client.get(url).content.decode()
    assert "1 failed" in first and "on the way" not in first
    assert client.get(url).page_cache == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        grade_sync_retry(sync=sync, by=graded.instructor)
    sync.refresh_from_db()
    assert sync.status in (GradeSync.Status.PENDING, GradeSync.Status.SENDING, GradeSync.Status.RETRYING)
    after = client.get(url)
    assert after.page_cache == "miss"
    assert "1</strong> on the way" in after.content.decode() and "1 failed" not in after.content.decode()
    # The heatmap shows the same panel, under its own key.
    assert "1</strong> on the way" in client.get(url_of("insights:heatmap", cohort)).content.decode()


def test_an_lms_course_linked_or_renamed_shows_on_the_kept_page(graded, client_for):
    from lti.services import grades_panel_changed

    client = client_for(graded.instructor)
    url = url_of("insights:gradebook", graded.cohort)
    assert "Grades in" not in client.get(url).content.decode()
    context = ContextFactory(cohort=graded.cohort, title="Backend, autumn")
    with TestCase.captureOnCommitCallbacks(execute=True):
        grades_panel_changed(cohort_id=context.cohort_id)  # what context_record and linking call
    after = client.get(url)
    assert after.page_cache == "miss" and "Backend, autumn" in after.content.decode()


def test_members_and_mentors_change_the_kept_page(graded, client_for):
    instructor, mentor = client_for(graded.instructor), client_for(graded.unassigned_mentor)
    url = url_of("insights:gradebook", graded.cohort)
    assert names(instructor.get(url)) == ["Ada Lovelace", "Bea Carter", "Cy Young"]
    assert names(mentor.get(url)) == ["Cy Young"]
    mentor_assign(cohort=graded.cohort, mentor=graded.unassigned_mentor, student=graded.other_student)
    assert names(mentor.get(url)) == ["Bea Carter", "Cy Young"]
    membership_remove(membership=Membership.objects.get(cohort=graded.cohort, user=graded.other_student))
    assert names(instructor.get(url)) == ["Ada Lovelace", "Cy Young"]
    assert names(mentor.get(url)) == ["Cy Young"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sort": "name", "dir": "desc"}, ["Cy Young", "Bea Carter", "Ada Lovelace"]),
        ({"sort": "total", "dir": "desc"}, ["Ada Lovelace", "Bea Carter", "Cy Young"]),
        ({"status": "accepted"}, ["Ada Lovelace", "Bea Carter"]),
        ({"mentor": "unassigned"}, ["Cy Young"]),
    ],
)
def test_each_query_string_is_kept_apart(graded, client_for, params, expected):
    client = client_for(graded.instructor)
    url = url_of("insights:gradebook", graded.cohort)
    assert client.get(url).page_cache == "miss"
    if params.get("mentor") == "unassigned":
        params = {"mentor": str(graded.unassigned_mentor.pk)}
    first = client.get(url, params)
    assert first.page_cache == "miss" and names(first) == expected
    again = client.get(url, params)
    assert again.page_cache == "hit" and names(again) == expected
    assert names(client.get(url)) == ["Ada Lovelace", "Bea Carter", "Cy Young"]


def test_another_viewer_never_gets_someone_elses_kept_page(graded, client_for):
    url = url_of("insights:gradebook", graded.cohort)
    instructor = client_for(graded.instructor)
    instructor.get(url)
    assert instructor.get(url).page_cache == "hit"
    admin = client_for(graded.admin).get(url)
    assert admin.page_cache == "miss" and names(admin) == ["Ada Lovelace", "Bea Carter", "Cy Young"]
    mentor = client_for(graded.unassigned_mentor).get(url)
    assert mentor.page_cache == "miss" and names(mentor) == ["Cy Young"]
    assert client_for(graded.foreign_mentor).get(url).status_code == 404
    assert client_for(graded.student).get(url).status_code == 404
