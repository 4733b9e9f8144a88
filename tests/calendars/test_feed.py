"""The private calendar feed: parsed back with the icalendar library, as a calendar app would."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from calendars.models import CalendarFeed
from calendars.selectors import feed_path
from calendars.services import feed_enable
from cohorts.models import Extension
from cohorts.schedule import week_window
from cohorts.services import extension_grant, extension_revoke
from tests.factories import PeerAssignmentFactory, RevisionFactory, WeeklyWorkFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def _events(client, feed) -> dict[str, object]:
    response = client.get(feed_path(feed))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _week_uid(cohort, number, student) -> str:
    return f"week-{cohort.pk}-{number}-student-{student.pk}@testserver"


@pytest.fixture(autouse=True)
def _uid_domain(settings):
    settings.CALENDAR_UID_DOMAIN = "testserver"


def test_a_student_gets_every_week_and_deliverable_due_in_the_cohorts_time_zone_with_its_vtimezone(people, client):
    feed = feed_enable(user=people.student)

    response = client.get(feed_path(feed))
    calendar = Calendar.from_ical(response.content)
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}

    week_events = [uid for uid in events if uid.startswith(f"week-{people.cohort.pk}-")]
    assert len(week_events) == 24
    week3 = events[_week_uid(people.cohort, 3, people.student)]
    due = week3.decoded("DTSTART")
    assert due == week_window(people.cohort, 3).due_at
    assert str(due.tzinfo) == "Europe/Berlin"
    assert week3["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert str(week3["SUMMARY"]).startswith("Week 3 due: ")
    assert int(week3["SEQUENCE"]) == 0
    assert str(week3["URL"]).endswith(reverse("submissions:open_week", args=[people.cohort.slug, 3]))
    # The time zone travels with the file: a client without tz data still places it right.
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Berlin"
    assert {component.name for component in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    deliverables = [uid for uid in events if uid.startswith("deliverable-")]
    assert len(deliverables) == 9
    # Nothing of another cohort or another student.
    assert not [uid for uid in events if f"-student-{people.other_student.pk}@" in uid]
    assert not [uid for uid in events if uid.startswith(f"week-{people.other_cohort.pk}-")]


def test_an_extension_moves_the_event_under_the_same_uid_with_a_higher_sequence_each_time(people, client):
    feed = feed_enable(user=people.student)
    week = people.cohort.course.weeks.get(number=2)
    regular = week_window(people.cohort, 2).due_at
    uid = _week_uid(people.cohort, 2, people.student)
    assert _events(client, feed)[uid].decoded("DTSTART") == regular

    later = regular + datetime.timedelta(days=3)
    extension_grant(cohort=people.cohort, student=people.student, week=week, due_at=later, reason="", granted_by=None)
    moved = _events(client, feed)[uid]
    assert moved.decoded("DTSTART") == later
    assert int(moved["SEQUENCE"]) == 1
    assert "your extension" in str(moved["DESCRIPTION"])

    extension_grant(
        cohort=people.cohort,
        student=people.student,
        week=week,
        due_at=later + datetime.timedelta(days=1),
        reason="",
        granted_by=None,
    )
    assert int(_events(client, feed)[uid]["SEQUENCE"]) == 2

    extension_revoke(extension=Extension.objects.get(student=people.student, week=week))
    back = _events(client, feed)[uid]
    assert back.decoded("DTSTART") == regular
    assert int(back["SEQUENCE"]) == 3
    # Other students' events are not touched by this student's extension.
    other = feed_enable(user=people.other_student)
    assert int(_events(client, other)[_week_uid(people.cohort, 2, people.other_student)]["SEQUENCE"]) == 0


def test_moving_the_cohorts_calendar_raises_the_sequence_of_its_events(people, client):
    feed = feed_enable(user=people.student)
    uid = _week_uid(people.cohort, 1, people.student)
    before = _events(client, feed)[uid]

    people.cohort.start_date += datetime.timedelta(days=7)
    people.cohort.save()

    after = _events(client, feed)[uid]
    assert after.decoded("DTSTART") == before.decoded("DTSTART") + datetime.timedelta(days=7)
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1


def test_open_peer_reviews_are_in_the_reviewers_feed_without_the_authors_name(people, client, course):
    work = WeeklyWorkFactory(cohort=people.cohort, student=people.other_student)
    revision = RevisionFactory(work=work)
    assignment = PeerAssignmentFactory(revision=revision, reviewer=people.student)
    events = _events(client, feed_enable(user=people.student))

    review = events[f"peer-review-{assignment.pk}@testserver"]
    # iCalendar times have whole seconds.
    assert review.decoded("DTSTART") == assignment.due_at.replace(microsecond=0)
    assert str(review["SUMMARY"]) == "Peer review due: week 1"
    text = review.to_ical().decode()
    assert people.other_student.display_name not in text and people.other_student.email not in text


def test_a_mentor_gets_review_deadlines_of_their_own_students_only(people, client):
    mine = RevisionFactory(work=WeeklyWorkFactory(cohort=people.cohort, student=people.student))
    events = _events(client, feed_enable(user=people.mentor))

    review = events[f"review-{mine.pk}@testserver"]
    deadline = mine.submitted_at + datetime.timedelta(hours=people.cohort.review_deadline_hours)
    assert review.decoded("DTSTART") == deadline.replace(microsecond=0)
    assert people.student.display_name in str(review["SUMMARY"])
    # The cohort's weeks, as the students see them without extensions.
    assert f"week-{people.cohort.pk}-1-cohort@testserver" in events
    # The unassigned mentor gets the cohort's weeks but not this review.
    unassigned = _events(client, feed_enable(user=people.unassigned_mentor))
    assert f"review-{mine.pk}@testserver" not in unassigned


def test_the_address_works_without_a_session_and_a_new_address_retires_the_old_one(people, client_for):
    owner = client_for(people.student)
    owner.post(reverse("calendars:action", args=["enable"]))
    feed = CalendarFeed.objects.get(user=people.student)
    old_path = feed_path(feed)
    assert client_for(None).get(old_path).status_code == 200

    response = owner.post(reverse("calendars:action", args=["reset"]))
    assert response.status_code == 302
    feed.refresh_from_db()
    assert client_for(None).get(old_path).status_code == 404
    assert client_for(None).get(feed_path(feed)).status_code == 200

    owner.post(reverse("calendars:action", args=["disable"]))
    assert not CalendarFeed.objects.filter(user=people.student).exists()
    assert client_for(None).get(feed_path(feed)).status_code == 404


def test_a_wrong_secret_or_another_persons_id_is_refused_alike(people, client):
    mine = feed_enable(user=people.student)
    theirs = feed_enable(user=people.other_student)
    my_secret = feed_path(mine).rsplit("/", 1)[1].removesuffix(".ics")
    assert client.get(reverse("calendars:feed", args=[theirs.pk, my_secret])).status_code == 404
    assert client.get(reverse("calendars:feed", args=[mine.pk, "0" * 40])).status_code == 404
    assert client.get(reverse("calendars:feed", args=[999999, my_secret])).status_code == 404


def test_the_secret_is_derived_from_the_secret_key_so_a_copy_of_the_database_opens_nothing(people, client, settings):
    feed = feed_enable(user=people.student)
    path = feed_path(feed)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-secret-key-" * 4
    assert client.get(path).status_code == 404
    # While a key rotates out (SECRET_KEY_FALLBACKS), addresses made under it still work.
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert client.get(path).status_code == 200


def test_a_deactivated_account_has_no_feed(people, client):
    feed = feed_enable(user=people.student)
    people.student.is_active = False
    people.student.save()
    assert client.get(feed_path(feed)).status_code == 404


def test_the_feed_pages_answer_each_role(people, client_for):
    home = reverse("calendars:home")
    anonymous = client_for(None)
    assert anonymous.get(home).status_code == 302
    assert anonymous.post(reverse("calendars:action", args=["enable"])).status_code == 302
    assert not CalendarFeed.objects.exists()
    for user in (people.student, people.mentor, people.instructor, people.foreign_student, people.stranger):
        client = client_for(user)
        page = client.get(home)
        assert page.status_code == 200
        assert b"Create my calendar address" in page.content
        # A GET never turns it on.
        assert not CalendarFeed.objects.filter(user=user).exists()
    assert client_for(people.student).get(reverse("calendars:action", args=["enable"])).status_code == 405
    assert client_for(people.student).post(reverse("calendars:action", args=["explode"])).status_code == 404
    # Each person's actions touch their own feed only.
    mine = feed_enable(user=people.student)
    client_for(people.other_student).post(reverse("calendars:action", args=["reset"]))
    assert CalendarFeed.objects.get(pk=mine.pk).nonce == mine.nonce


def test_the_profile_page_shows_the_address(people, client_for):
    client = client_for(people.student)
    assert b"Set up your calendar feed" in client.get(reverse("accounts:profile")).content
    feed = feed_enable(user=people.student)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert f"http://testserver{feed_path(feed)}" in page


def test_the_feed_takes_a_fixed_number_of_queries_however_many_cohorts_and_reviews(
    people, client, django_assert_num_queries
):
    feed = feed_enable(user=people.mentor)
    for student in (people.student, people.other_student):
        RevisionFactory(work=WeeklyWorkFactory(cohort=people.cohort, student=student))
    # 1 feed + user, 2 memberships, 3 weeks, 4 deliverables, 5 cohort history, 6 extension
    # history, 7 extensions (none asked: no query; the mentor studies nowhere), 7 peer tasks,
    # 8 mentees, 9 review queue.
    with django_assert_num_queries(9):
        assert client.get(feed_path(feed)).status_code == 200


def test_the_page_lists_what_is_still_ahead_and_not_what_is_past(people, client_for):
    now = timezone.now()
    numbers = [n for n in range(1, 25) if week_window(people.cohort, n).due_at >= now]
    page = client_for(people.student).get(reverse("calendars:home")).content.decode()
    if numbers and numbers[0] > 1:
        assert f"Week {numbers[0]} due: " in page
        assert f"Week {numbers[0] - 1} due: " not in page
    assert "Create my calendar address" in page
    # A GET never turns the feed on.
    assert not CalendarFeed.objects.filter(user=people.student).exists()
