"""Journey: grades back to a real LMS (the test LMS, tests/lti/lms_server.py, its own process).
An instructor opens "add content" in the LMS and adds three weeks; a learner opens week 2 from
the LMS and submits it; their mentor accepts it here; the score reaches the LMS line item of
week 2 (the LMS's own gradebook page shows it), and the instructor, back from the LMS, sees on
the gradebook and the sync page that it was sent."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from cohorts.models import Membership
from lti.models import GradeSync
from rubrics.services import rubric_install_defaults
from tests.factories import MembershipFactory, MentorAssignmentFactory, UserFactory
from tests.factories.accounts import DEFAULT_PASSWORD

from .lti_course import lms_course
from .support import audit, sign_in


@pytest.fixture
def lms(live_server, settings, tmp_path, course, eager_tasks):
    rubric_install_defaults(course=course)
    with lms_course(live_server=live_server, settings=settings, tmp_path=tmp_path, course=course) as started:
        yield started


def test_a_mentors_acceptance_reaches_the_lms_gradebook(page: Page, lms, browser, live_server):
    # The instructor adds weeks 1-3 from the LMS (deep linking); the LMS makes a line item each.
    page.goto(lms.launch_url(user="ina", context="be-101", deep_link=True))
    for number in (1, 2, 3):
        page.get_by_label(re.compile(rf"^Week {number}: ")).check()
    page.get_by_role("button", name="Add to the LMS course").click()
    expect(page.get_by_role("heading", name=re.compile("Content added"))).to_be_visible()
    week_2 = next(link for link in lms.state()["resource_links"] if link.get("custom") == {"week": "2"})
    assert len(lms.lineitems("be-101")) == 3

    # The learner opens week 2 from the LMS and submits it.
    learner = browser.new_context(viewport={"width": 1280, "height": 900})
    learner_page = learner.new_page()
    learner_page.goto(lms.launch_url(user="lea", context="be-101", link=week_2["id"]))
    expect(learner_page).to_have_url(re.compile(rf"/work/{lms.cohort.slug}/weeks/2/$"))
    start = learner_page.get_by_role("button", name=re.compile("^Start"))
    if start.count():
        start.first.click()
    learner_page.get_by_role("button", name="Save and submit revision 1").click()
    expect(learner_page.get_by_text("Submitted as revision 1.")).to_be_visible()
    audit(learner_page, "lti learner submitted week 2")
    learner.close()

    # Their mentor (assigned here; mentors sign in as usual) accepts it.
    lea = User.objects.get(lms_accounts__sub="lea")
    mentor = UserFactory(email="mo.mentor@example.com", name="Mo Mentor")
    MembershipFactory(cohort=lms.cohort, user=mentor, role=Membership.Role.MENTOR)
    MentorAssignmentFactory(cohort=lms.cohort, mentor=mentor, student=lea)
    reviewer = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    review = reviewer.new_page()
    review.goto("/review/")
    sign_in(review, email=mentor.email, password=DEFAULT_PASSWORD, audit_form=False)
    queue = review.get_by_role("table", name="Revisions awaiting review")
    queue.get_by_role("link", name=re.compile(rf"^Score .* of {lea.display_name}")).click()
    for group in review.get_by_role("group", name=re.compile(r".")).all():
        exemplary = group.get_by_role("radio", name=re.compile(r"^Exemplary · \d"))
        if exemplary.count():
            exemplary.check()
    review.get_by_role("textbox", name="Overall feedback").fill("Measured and argued: accepted.")
    review.get_by_role("radio", name="Accept this revision").check()
    review.get_by_role("button", name="Save score and decision").click()
    expect(review.get_by_text(re.compile(r"Scored 100(\.00)? / 100 and accepted\."))).to_be_visible()
    reviewer.close()

    # The score went to week 2's line item in the background; the LMS's gradebook shows it.
    sync = GradeSync.objects.get(student=lea)
    assert sync.status == GradeSync.Status.SENT, sync.last_error
    [score] = lms.scores()
    assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == ("lea", 100.0, 100.0)
    item = next(i for i in lms.lineitems("be-101") if i["id"] == score["lineitem"])
    assert item["resourceLinkId"] == week_2["id"]
    page.goto(lms.url)
    grades = page.get_by_role("table", name=re.compile(r"^Grades for .*Week 2"))
    expect(grades.get_by_role("row").filter(has_text="Lea Learner")).to_contain_text("100.0 / 100.0")

    # Back in the platform from the LMS, the instructor sees it sent.
    page.goto(lms.launch_url(user="ina", context="be-101", link=week_2["id"]))
    panel = page.get_by_role("complementary", name="Grades in Test LMS")
    expect(panel).to_contain_text("1 sent")
    audit(page, "lti gradebook with the sync panel")
    panel.get_by_role("link", name="What was sent, and why some failed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grades sent to the LMS")
    expect(page.get_by_role("row").filter(has_text=lea.display_name)).to_contain_text("Sent")
    audit(page, "lti grade sync page")

    # Readable on a phone: nothing wider than the screen but the table's own scroller.
    page.set_viewport_size({"width": 390, "height": 900})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    audit(page, "lti grade sync page at 390 px")
