"""The mastery page's content is cached per learner and viewer scope (progress/page_cache.py)
and every path that changes what it shows gives the next request a new key: a mentor's
decision on the learner's work, a review of another student (the cohort's medians), an
extension, the learner's name; a due date passing ends the entry."""

import datetime
import re

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_update_profile
from cohorts.schedule import week_window
from cohorts.selectors import next_due_passing
from cohorts.services import extension_grant
from progress import page_cache
from tests.progress.conftest import at, review
from tests.rubrics.conftest import submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def url(people) -> str:
    return reverse("progress:mastery", args=[people.cohort.slug, people.student.pk])


def trend_row(body: str, week: int) -> str:
    return re.search(rf'<th scope="row">Week {week}</th>(.*?)</tr>', body, re.S).group(1)


def without_tokens(body: bytes) -> bytes:
    """The page without its CSRF tokens (the layout's sign-out form has this request's own)."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", body)


def test_a_repeat_is_the_same_page_from_the_cache(people, scored, client_for, django_assert_max_num_queries):
    client = client_for(people.mentor)
    first = client.get(url(people)).content
    with django_assert_max_num_queries(7):  # not the ten queries of the mastery itself
        again = client.get(url(people)).content
    assert without_tokens(again) == without_tokens(first)


def test_a_mentors_decision_on_the_learners_work_shows_at_once(people, scored, rubric, client_for):
    client = client_for(people.student)
    assert "50.0% / 50.0%" in trend_row(client.get(url(people)).content.decode(), 2)
    revision = submit(people.student, people.cohort, 2, now=at(18))
    review(revision, people.mentor, rubric, 4, "accept", at(19))
    assert "100.0% / 100.0%" in trend_row(client.get(url(people)).content.decode(), 2)


def test_a_review_of_another_student_moves_the_median_shown(people, scored, rubric, client_for):
    client = client_for(people.student)
    assert "50.0% / 50.0%" in trend_row(client.get(url(people)).content.decode(), 2)
    other = submit(people.other_student, people.cohort, 2, now=at(16))
    review(other, people.mentor, rubric, 4, "accept", at(18))
    # The learner's own 50 % beside the median of 50 and 100.
    assert "50.0% / 75.0%" in trend_row(client.get(url(people)).content.decode(), 2)


def test_an_extension_of_the_last_week_due_turns_it_into_not_due_yet(people, scored, client_for):
    """A week's cells are due once a later one is (progress.selectors.mastery_for): the last
    week due is the one an extension changes."""
    now = timezone.now()
    last = max(n for n in range(1, 25) if week_window(people.cohort, n).due_at <= now)
    client = client_for(people.student)
    not_due = re.compile(rf"Week {last}, [A-Za-z]+: </span>Not due yet")
    assert not not_due.search(client.get(url(people)).content.decode())
    extension_grant(
        cohort=people.cohort,
        student=people.student,
        week=people.cohort.course.weeks.get(number=last),
        due_at=now + datetime.timedelta(days=30),
        reason="Illness",
        granted_by=people.instructor,
    )
    assert not_due.search(client.get(url(people)).content.decode())


def test_the_learners_new_name_shows_to_their_mentor(people, scored, client_for):
    client = client_for(people.mentor)
    client.get(url(people))
    user_update_profile(user=people.student, name="Samira Renamed", time_zone="UTC")
    assert "Mastery of Samira Renamed" in client.get(url(people)).content.decode()


def test_the_learner_never_gets_the_page_made_for_their_mentor(people, scored, client_for):
    mentor_body = client_for(people.mentor).get(url(people)).content.decode()
    own_body = client_for(people.student).get(url(people)).content.decode()
    assert "Mastery of" in mentor_body and "Your mastery" not in mentor_body
    assert "Your mastery" in own_body and "Mastery of" not in own_body


def test_an_entry_ends_when_the_next_due_date_passes(redis_cache, people, scored, client_for):
    people.cohort.refresh_from_db()
    client_for(people.student).get(url(people))
    key = page_cache.mastery_key(people.cohort, people.student, own=True)
    ttl = redis.Redis.from_url(redis_cache.url).ttl(cache.make_key(key))
    now = timezone.now()
    until = next_due_passing(people.cohort, numbers=range(1, 25), now=now)
    assert 0 < ttl <= min(page_cache.MAX_SECONDS, (until - now).total_seconds() + 1)


def test_a_learners_own_repeat_reads_no_student_row(people, scored, client_for, django_assert_num_queries):
    client = client_for(people.student)
    client.get(url(people))
    # 2: answered before the middleware (courseplatform/fast_path.py): the session, then the
    # user with the learner's cohorts and versions (membership stamps) and unread count in one
    # statement (courseplatform/viewer.py). No cohort or student row, and no mentor scores'
    # version (the cohort's grades_version covers it).
    with django_assert_num_queries(2):
        response = client.get(url(people))
    assert b"Your mastery" in response.content
