"""Review pages show times in the viewer's own time zone (their profile's), not the server's."""

import datetime

from django.urls import reverse

from tests.rubrics.conftest import submit

SUBMITTED = datetime.datetime(2026, 11, 20, 21, 30, tzinfo=datetime.UTC)


def test_review_queue_shows_submission_times_in_the_mentors_zone(people, rubric, client_for):
    submit(people.student, people.cohort, now=SUBMITTED)
    people.mentor.time_zone = "America/New_York"
    people.mentor.save(update_fields=["time_zone"])
    page = client_for(people.mentor).get(reverse("rubrics:queue")).content.decode()
    assert "20 Nov, 16:30 EST" in page  # 21:30 UTC is 16:30 in New York
    assert "21:30 UTC" not in page
    assert 'datetime="2026-11-20T16:30:00-05:00"' in page

    people.instructor.time_zone = "Asia/Kolkata"
    people.instructor.save(update_fields=["time_zone"])
    page = client_for(people.instructor).get(reverse("rubrics:queue")).content.decode()
    assert "21 Nov, 03:00 IST" in page


def test_the_api_answers_in_utc_whether_the_client_has_a_session_or_a_token(people, rubric, client_for):
    submit(people.student, people.cohort, now=SUBMITTED)
    people.mentor.time_zone = "America/New_York"
    people.mentor.save(update_fields=["time_zone"])
    body = client_for(people.mentor).get("/api/v1/review/queue/").content.decode()
    assert "2026-11-20T21:30:00Z" in body
    assert "-05:00" not in body
