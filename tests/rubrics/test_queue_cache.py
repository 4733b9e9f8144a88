"""The review queue is kept whole (core/pagecache.py) and answered from the cache until something
it shows changes: every writing path gives the next request a new page, one viewer never gets
another's page, and the CSRF token in the cached layout is each request's own."""

import datetime
import re
import time

import pytest
from django.contrib.messages import constants
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Membership, MentorAssignment
from cohorts.services import membership_add, membership_remove, mentor_assign, mentor_unassign
from rubrics.models import Assessment
from rubrics.selectors import QueueItem, QueuePage
from rubrics.services import assessment_record, calibration_run_create
from submissions import services as submission_services
from tests.factories import MembershipFactory

from .conftest import scores_for, submit

pytestmark = pytest.mark.django_db

QUEUE = reverse("rubrics:queue")


def fetch(client: Client, url: str = QUEUE, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response


def score_links(response) -> list[int]:
    return [int(pk) for pk in re.findall(r"/review/revisions/(\d+)/", response.content.decode())]


def test_a_repeat_is_answered_from_the_cache_with_two_queries(people, rubric, client_for, django_assert_num_queries):
    revision = submit(people.student, people.cohort)
    client = client_for(people.mentor)
    first = fetch(client)
    assert first.page_cache == "miss"
    # 2, answered before the middleware (courseplatform/fast_path.py): the session; the user
    # with the viewer's cohorts and versions (roles and the key) and the unread count (with the
    # roles, the layout's part of the key) in one statement (courseplatform/viewer.py).
    with django_assert_num_queries(2):
        second = fetch(client)
    assert second.page_cache == "hit"
    assert score_links(second) == score_links(first) == [revision.pk]
    assert _without_csrf(second) == _without_csrf(first)


def test_each_answer_carries_the_requests_own_csrf_token(people, rubric, client_for):
    submit(people.student, people.cohort)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(people.mentor)
    second.force_login(people.mentor)
    made, kept = fetch(first), fetch(second)
    assert (made.page_cache, kept.page_cache) == ("miss", "hit")
    token = _csrf(kept)
    assert "pagecache-csrf" not in kept.content.decode() and token != _csrf(made)
    # The token in the kept page is good for this browser's CSRF cookie: signing out works.
    signed_out = second.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})
    assert signed_out.status_code == 302
    assert "_auth_user_id" not in second.session


@pytest.mark.parametrize("viewer", ["unassigned_mentor", "foreign_mentor", "foreign_instructor", "instructor"])
def test_another_viewer_never_gets_the_mentors_page(people, rubric, client_for, viewer):
    revision = submit(people.student, people.cohort)
    other = submit(people.foreign_student, people.other_cohort)
    assert fetch(client_for(people.mentor)).page_cache == "miss"
    assert fetch(client_for(people.mentor)).page_cache == "hit"
    page = fetch(client_for(getattr(people, viewer)))
    assert page.page_cache == "miss"
    expected = {
        "unassigned_mentor": [],
        "foreign_mentor": [other.pk],
        "foreign_instructor": [other.pk],
        "instructor": [revision.pk],
    }[viewer]
    assert score_links(page) == expected


def test_a_student_is_sent_to_the_peer_queue_even_after_a_mentor_filled_the_cache(people, rubric, client_for):
    submit(people.student, people.cohort)
    fetch(client_for(people.mentor))
    response = client_for(people.student).get(QUEUE)
    assert response.status_code == 302 and response["Location"] == reverse("rubrics:peer_queue")


def _cached_then(client, change) -> object:
    """Fill the cache, check a repeat hits it, make the change, and return the next answer."""
    assert fetch(client).page_cache in ("miss", "hit")
    assert fetch(client).page_cache == "hit"
    change()
    return fetch(client)


def test_a_new_submission_shows_at_once(people, rubric, client_for):
    first = submit(people.student, people.cohort)
    client = client_for(people.mentor)
    holder = {}
    page = _cached_then(client, lambda: holder.setdefault("r", submit(people.other_student, people.cohort)))
    assert page.page_cache == "miss"
    assert score_links(page) == [first.pk, holder["r"].pk]


@pytest.mark.parametrize("decision", ["accept", "request_changes"])
def test_a_decision_takes_the_revision_off_the_queue_at_once(people, rubric, client_for, decision):
    revision = submit(people.student, people.cohort)
    client = client_for(people.mentor)

    def decide():
        assessment_record(
            revision=revision,
            scorer=people.instructor,
            kind=Assessment.Kind.MENTOR,
            scores=scores_for(rubric, 3),
            feedback="Tighten the rationale.",
            decision=decision,
        )

    page = _cached_then(client, decide)
    assert page.page_cache == "miss" and score_links(page) == []


def test_a_revision_after_changes_requested_comes_back_at_once(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    assessment_record(
        revision=revision,
        scorer=people.mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, 2),
        feedback="Measure it.",
        decision="request_changes",
    )
    client = client_for(people.mentor)
    holder = {}
    page = _cached_then(client, lambda: holder.setdefault("r", submit(people.student, people.cohort)))
    assert holder["r"].number == 2
    assert score_links(page) == [holder["r"].pk]


def test_mentor_assignment_and_membership_changes_show_at_once(people, rubric, client_for):
    mine = submit(people.student, people.cohort)
    theirs = submit(people.other_student, people.cohort)
    client = client_for(people.mentor)
    assignment = MentorAssignment.objects.get(mentor=people.mentor, student=people.other_student)
    page = _cached_then(client, lambda: mentor_unassign(assignment=assignment))
    assert score_links(page) == [mine.pk]
    page = _cached_then(
        client, lambda: mentor_assign(cohort=people.cohort, mentor=people.mentor, student=people.other_student)
    )
    assert score_links(page) == [mine.pk, theirs.pk]
    membership = Membership.objects.get(cohort=people.cohort, user=people.student)
    page = _cached_then(client, lambda: membership_remove(membership=membership))
    assert score_links(page) == [theirs.pk]


def test_joining_another_cohort_as_instructor_shows_its_queue_at_once(people, rubric, client_for):
    other = submit(people.foreign_student, people.other_cohort)
    client = client_for(people.mentor)
    page = _cached_then(
        client, lambda: membership_add(cohort=people.other_cohort, user=people.mentor, role="instructor")
    )
    assert other.pk in score_links(page)


def test_a_calibration_run_appears_and_leaves_at_once(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    client = client_for(people.mentor)
    holder = {}

    def start():
        holder["run"] = calibration_run_create(
            cohort=people.cohort,
            revision=revision,
            created_by=people.instructor,
            mentors=[people.mentor, people.unassigned_mentor],
        )

    page = _cached_then(client, start)
    assert holder["run"].title in page.content.decode()

    def score():
        assessment_record(
            revision=revision,
            scorer=people.mentor,
            kind=Assessment.Kind.CALIBRATION,
            scores=scores_for(rubric, 3),
            calibration_run=holder["run"],
        )

    page = _cached_then(client, score)
    assert holder["run"].title not in page.content.decode()


def test_a_page_is_kept_only_until_a_waiting_time_or_deadline_changes(people, rubric, client_for):
    now = timezone.now()
    # Waiting 59 min 40 s: "0 h" turns into "1 h" in 20 s.
    submit(people.student, people.cohort, now=now - datetime.timedelta(minutes=59, seconds=40))
    client = client_for(people.mentor)
    page = fetch(client)
    assert page.page_cache == "miss"
    assert 0 < _seconds_left(page.page_cache_key) <= 20


def test_the_first_change_of_a_page_is_the_next_hour_or_deadline_of_any_row(people, rubric):
    now = timezone.now()
    cohort = people.cohort
    cohort.review_deadline_hours = 2

    def item(age: datetime.timedelta) -> QueueItem:
        revision = type("R", (), {"submitted_at": now - age})()
        deadline = now - age + datetime.timedelta(hours=cohort.review_deadline_hours)
        return QueueItem(work=None, revision=revision, waited=age, deadline_at=deadline, overdue=now > deadline)

    page = QueuePage(
        items=[item(datetime.timedelta(minutes=10)), item(datetime.timedelta(hours=5, minutes=50))],
        number=1,
        has_next=False,
    )
    # The second row's "5 h" becomes "6 h" in 10 minutes; the first's deadline is 110 minutes off.
    assert page.changes_at(now) == now + datetime.timedelta(minutes=10)
    near = QueuePage(items=[item(datetime.timedelta(hours=1, minutes=59, seconds=30))], number=1, has_next=False)
    assert near.changes_at(now) == now + datetime.timedelta(seconds=30)  # "1 h" → "2 h" and overdue together
    assert QueuePage(items=[], number=1, has_next=False).changes_at(now) is None


def test_a_page_with_flash_messages_is_made_fresh_and_not_kept(people, rubric, client_for, settings):
    submit(people.student, people.cohort)
    client = client_for(people.mentor)
    # A message waits in its cookie (as after a redirect that said something).
    client.cookies["messages"] = _encoded_messages([(constants.SUCCESS, "Saved.")])
    page = fetch(client)
    assert page.page_cache == "bypass" and "Saved." in page.content.decode()
    again = fetch(client)
    assert again.page_cache == "miss" and "Saved." not in again.content.decode()


def test_unknown_query_parameters_are_not_kept(people, rubric, client_for):
    submit(people.student, people.cohort)
    client = client_for(people.mentor)
    assert fetch(client, page="1").page_cache == "miss"
    assert fetch(client, page="1").page_cache == "hit"
    assert fetch(client, page="1", junk="x").page_cache == "bypass"


def test_a_platform_admins_queue_is_made_every_time(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    client = client_for(people.admin)
    assert fetch(client).page_cache == "bypass"
    assert revision.pk in score_links(fetch(client))


def test_a_draft_save_does_not_change_the_queue_key(people, rubric, client_for):
    """Draft saves do not bump the cohort's version: the kept page stays kept."""
    submit(people.student, people.cohort)
    work = submission_services.work_get_or_create(
        student=people.other_student, cohort=people.cohort, week=people.cohort.course.weeks.get(number=2)
    )
    client = client_for(people.mentor)
    fetch(client)
    submission_services.work_save_draft(
        work=work, content={}, expected_version=work.draft_version, by=people.other_student
    )
    assert fetch(client).page_cache == "hit"


def test_a_new_member_in_the_cohort_changes_the_instructors_page(people, rubric, client_for):
    client = client_for(people.instructor)
    student = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT).user
    fetch(client)
    assert fetch(client).page_cache == "hit"
    holder = {}
    page = _cached_then(client, lambda: holder.setdefault("r", submit(student, people.cohort)))
    assert holder["r"].pk in score_links(page)


# --- helpers ----------------------------------------------------------------------------------


def _csrf(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


def _without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _encoded_messages(messages: list[tuple[int, str]]) -> str:
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest

    return CookieStorage(HttpRequest())._encode([Message(level, text) for level, text in messages])


def _seconds_left(key: str) -> float:
    """How long the cache keeps `key` (Redis, or the local-memory cache of the embedded default)."""
    if hasattr(cache, "redis_client"):
        return cache.redis_client().pttl(cache.make_key(key)) / 1000
    return cache._expire_info[cache.make_key(key)] - time.time()
