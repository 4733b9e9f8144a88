"""Journey: from a real LMS (the test LMS, tests/lti/lms_server.py) into the platform in
Chromium. An instructor opens "add content", ticks three weeks and is sent back to the LMS,
which creates the links; a learner opens one of them and lands in that week of the cohort the
LMS course maps to. Every page of ours on the way is audited with axe, and the deep-linking
page is looked at on a 390 px phone."""

import re

import pytest
from playwright.sync_api import Page, expect

from .lti_course import lms_course
from .support import audit


@pytest.fixture
def lms(live_server, settings, tmp_path, course):
    with lms_course(live_server=live_server, settings=settings, tmp_path=tmp_path, course=course) as started:
        yield started


def test_an_instructor_adds_three_weeks_and_a_learner_opens_one(page: Page, lms, browser):
    page.goto(lms.launch_url(user="ina", context="be-101", deep_link=True))
    expect(page.get_by_role("heading", name=re.compile("Add to"))).to_be_visible()
    audit(page, "lti deep linking")
    for number in (1, 2, 3):
        page.get_by_label(re.compile(rf"^Week {number}: ")).check()
    page.get_by_role("button", name="Add to the LMS course").click()
    # Our response form posts itself back to the LMS, which validates it and adds the links.
    expect(page.get_by_role("heading", name=re.compile("Content added"))).to_be_visible()
    added = [link for link in lms.state()["resource_links"] if link.get("url")]
    assert [link["custom"] for link in added] == [{"week": "1"}, {"week": "2"}, {"week": "3"}]
    assert len(lms.lineitems("be-101")) == 3

    phone = browser.new_context(base_url=page.url, viewport={"width": 390, "height": 900})
    phone_page = phone.new_page()
    phone_page.goto(lms.launch_url(user="ina", context="be-101", deep_link=True))
    expect(phone_page.get_by_role("heading", name=re.compile("Add to"))).to_be_visible()
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= 390
    phone_page.screenshot(path="test-artifacts/lti-deep-linking-390.png", full_page=True)
    phone.close()

    learner = browser.new_context(viewport={"width": 1280, "height": 900})
    learner_page = learner.new_page()
    learner_page.goto(lms.launch_url(user="lea", context="be-101", link=added[1]["id"]))
    expect(learner_page).to_have_url(re.compile(rf"/work/{lms.cohort.slug}/weeks/2/$"))
    expect(learner_page.get_by_role("heading", level=1)).to_contain_text("2")
    audit(learner_page, "lti learner lands in week 2")
    learner.close()
