"""Framing only for LTI-launched sessions and only by their platform; deep linking from a
real platform's request to the resource links it creates."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.models import User
from lti.framing import third_party_cookies
from lti.models import ResourceLink
from tests.factories import UserFactory

from .harness import parse_form
from .launching import browser


def _frame_ancestors(response) -> str:
    return re.search(r"frame-ancestors ([^;]*)", response["Content-Security-Policy"]).group(1)


def test_a_launched_session_may_be_framed_by_its_platform_only(lms, platform, cohort):
    client = browser()
    launched = lms.launch(client, user="lea", context="course-1", link="rl-week-3")
    session_cookie = launched.cookies["sessionid"]
    assert session_cookie["samesite"] == "None" and session_cookie["secure"]
    page = client.get(launched["Location"])
    assert page.status_code == 200
    assert _frame_ancestors(page) == f"'self' {lms.url}"
    assert "X-Frame-Options" not in page
    csrf = page.cookies.get("csrftoken")
    if csrf is not None:  # set when the page first renders a form
        assert csrf["samesite"] == "None"


def test_the_same_person_signed_in_directly_is_not_framed(lms, platform, cohort, client_for):
    lms.launch(browser(), user="lea", context="course-1", link="rl-week-3")
    client = client_for(User.objects.get(email="lea@uni.example"))
    page = client.get(f"/dashboard/{cohort.slug}/")
    assert page.status_code == 200
    assert _frame_ancestors(page) == "'none'"
    assert page["X-Frame-Options"] == "DENY"


def test_pages_before_a_launch_stay_unframeable(client, db):
    page = client.get("/")
    assert _frame_ancestors(page) == "'none'" and page["X-Frame-Options"] == "DENY"


def test_over_plain_http_the_cookies_keep_their_default_same_site():
    """Browsers refuse SameSite=None without Secure, so over http nothing changes."""
    request = RequestFactory().get("/")
    response = HttpResponse()
    response.set_cookie("sessionid", "x", samesite="Lax")
    third_party_cookies(request, response)
    assert response.cookies["sessionid"]["samesite"] == "Lax"
    secure = RequestFactory().get("/", secure=True)
    third_party_cookies(secure, response)
    assert response.cookies["sessionid"]["samesite"] == "None" and response.cookies["sessionid"]["secure"]


# --- deep linking -----------------------------------------------------------------------


@pytest.fixture
def trusted(settings):
    settings.LTI_TRUST_PLATFORM_SIGN_IN = True


def test_an_instructor_deep_links_three_weeks_and_a_learner_opens_one(
    lms, platform, cohort, trusted, django_assert_max_num_queries
):
    client = browser()
    response = lms.launch(client, user="ina", context="course-1", deep_link=True)
    assert response["Location"] == "/lti/deep-link/"
    with django_assert_max_num_queries(12):
        page = client.get("/lti/deep-link/")
    assert page.status_code == 200
    assert page.content.count(b'name="items"') == 24 + 9  # every week and capstone deliverable
    response = client.post("/lti/deep-link/", {"items": ["week-1", "week-2", "week-3", "deliverable-x"]})
    assert response.status_code == 400  # an item not offered is refused with the form
    response = client.post("/lti/deep-link/", {"items": ["week-1", "week-2", "week-3"]})
    assert response.status_code == 200
    assert f"form-action 'self' {lms.url}" in response["Content-Security-Policy"]
    action, fields = parse_form(response.content.decode().split("<h1>Returning to the LMS</h1>", 1)[1])
    assert action == f"{lms.url}/deep_link_return"
    status, body = lms.post_form(action, fields)
    assert status == 200, body
    added = [link for link in lms.state()["resource_links"] if link["context"] == "course-1" and link.get("url")]
    assert [link["custom"] for link in added] == [{"week": "1"}, {"week": "2"}, {"week": "3"}]
    items = lms.lineitems("course-1")
    assert sorted(item["label"] for item in items)[:3] == sorted(
        [f"Week {n}: {cohort.course.weeks.get(number=n).title}" for n in (1, 2, 3)]
    )
    assert {item["scoreMaximum"] for item in items} == {100}
    # A learner opens the second new link: its first launch fixes the target from the custom parameter.
    learner = browser()
    response = lms.launch(learner, user="leo", context="course-1", link=added[1]["id"])
    assert response["Location"] == f"/work/{cohort.slug}/weeks/2/"
    link = ResourceLink.objects.get(resource_link_id=added[1]["id"])
    assert link.week.number == 2 and link.line_item_url.startswith(lms.lineitems_url("course-1"))


def test_picking_nothing_is_a_form_error(lms, platform, cohort, trusted):
    client = browser()
    lms.launch(client, user="ina", context="course-1", deep_link=True)
    response = client.post("/lti/deep-link/", {})
    assert response.status_code == 400 and b"Pick at least one." in response.content


def test_a_learner_cannot_deep_link(lms, platform, cohort):
    response = lms.launch(browser(), user="lea", context="course-1", deep_link=True)
    assert response.status_code == 403 and b"Only instructors add content" in response.content


@pytest.mark.parametrize("who", ["student", "anonymous"])
def test_the_deep_link_page_without_a_launch_is_refused(client_for, who, db):
    assert client_for(UserFactory() if who == "student" else None).get("/lti/deep-link/").status_code == 403


def test_an_lms_served_from_another_host_than_its_issuer_frames_from_its_frame_origins(lms, platform, cohort):
    """Canvas' issuer is https://canvas.instructure.com; its pages come from the school's host."""
    platform.frame_origins = "https://uni.instructure.com  https://uni.beta.instructure.com"
    platform.full_clean()
    platform.save(update_fields=["frame_origins"])
    client = browser()
    page = client.get(lms.launch(client, user="lea", context="course-1", link="rl-week-3")["Location"])
    assert _frame_ancestors(page) == "'self' https://uni.instructure.com https://uni.beta.instructure.com"


@pytest.mark.parametrize("value", ["uni.instructure.com", "https://uni.example/path", "javascript:alert(1)"])
def test_frame_origins_must_be_origins(platform, value):
    platform.frame_origins = value
    with pytest.raises(ValidationError):
        platform.full_clean()
