"""The workspace never lets the student leave the page with text that is saved nowhere
(static/js/submissions.js): before the upload, link and risk forms post, the draft is saved
first and the form posts only if that save succeeded; after a two-tab conflict (409) those
forms refuse with an alert, and leaving the page still asks for confirmation."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from cohorts.models import Membership
from submissions import services
from submissions.models import RiskEntry, WeeklyWork
from tests.factories import CohortFactory, MembershipFactory, UserFactory

from .support import audit, log_in_as

WEEK = 3
TYPED = "Measured p95 at 200 req/s: 41 ms; the ORM dominates."
# What the page reports when the leave-page warning is armed (a synthetic beforeunload).
LEAVING_IS_GUARDED = """() => {
  const event = new Event("beforeunload", { cancelable: true });
  window.dispatchEvent(event);
  return event.defaultPrevented;
}"""


@pytest.fixture
def workspace(page: Page, course, live_server) -> WeeklyWork:
    """A student signed in on a draft of the running week's workspace."""
    zone = "Europe/Berlin"
    today = timezone.now().astimezone(ZoneInfo(zone)).date()
    cohort = CohortFactory(course=course, time_zone=zone, start_date=today - datetime.timedelta(days=7 * (WEEK - 1)))
    student = UserFactory(name="Amara Okafor")
    MembershipFactory(cohort=cohort, user=student, role=Membership.Role.STUDENT)
    work = services.work_get_or_create(student=student, cohort=cohort, week=course.weeks.get(number=WEEK))
    log_in_as(page.context, live_server.url, student)
    page.goto(f"/work/{work.pk}/")
    expect(page.get_by_role("status")).to_contain_text("Not saved yet.")
    return work


def lab_report(page: Page):
    return page.get_by_role("textbox", name="Lab report", exact=True)


def fill_risk(page: Page):
    risks = page.get_by_role("region", name="6. Defect and risk log")
    risks.get_by_role("combobox", name="Kind").select_option(label="Risk")
    risks.get_by_role("textbox", name="Title").fill("Pool exhaustion under burst load")
    return risks


def test_after_a_two_tab_conflict_other_forms_refuse_and_leaving_still_warns(page: Page, workspace: WeeklyWork):
    lab_report(page).fill("First words.")
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Draft saved at \d"))
    # Another tab saves the draft meanwhile.
    other_tab = WeeklyWork.objects.get(pk=workspace.pk)
    services.work_save_draft(
        work=other_tab, content={"lab": {"text": "From the other tab."}}, expected_version=2, by=workspace.student
    )
    lab_report(page).fill(TYPED)
    expect(page.get_by_role("status")).to_contain_text("saved from another tab")
    assert page.evaluate(LEAVING_IS_GUARDED), "leaving the page must still ask while the text is saved nowhere"

    risks = fill_risk(page)
    risks.get_by_role("button", name="Add entry").click()
    expect(risks.get_by_role("alert")).to_contain_text("Not sent: this draft was saved from another tab")
    evidence = page.get_by_role("region", name="5. Evidence in the draft")
    evidence.get_by_role("textbox", name="Link").fill("https://example.com/trace")
    evidence.get_by_role("textbox", name="What it proves").last.fill("The trace")
    evidence.get_by_role("button", name="Add link").click()
    expect(evidence.get_by_role("alert")).to_contain_text("Copy what you need to keep, reload the page")
    audit(page, "workspace-conflict")

    expect(page).to_have_url(re.compile(rf"/work/{workspace.pk}/$"))
    expect(lab_report(page)).to_have_value(TYPED)
    assert not RiskEntry.objects.exists() and not workspace.artifacts.exists()
    workspace.refresh_from_db()
    assert workspace.content["lab"]["text"] == "From the other tab."


def test_a_failed_save_keeps_the_student_on_the_page(page: Page, workspace: WeeklyWork):
    def refuse_autosave(route: Route) -> None:
        if route.request.method == "POST" and route.request.headers.get("x-autosave") == "1":
            route.fulfill(status=503, content_type="application/json", body='{"ok": false, "error": "Try again."}')
        else:
            route.continue_()

    page.route(re.compile(rf"/work/{workspace.pk}/$"), refuse_autosave)
    lab_report(page).fill(TYPED)
    risks = fill_risk(page)
    risks.get_by_role("button", name="Add entry").click()  # within the two seconds: saved first
    expect(risks.get_by_role("alert")).to_contain_text("Not sent: your draft could not be saved first")
    expect(page.get_by_role("status")).to_contain_text("Not saved: Try again.")
    expect(page).to_have_url(re.compile(rf"/work/{workspace.pk}/$"))
    expect(lab_report(page)).to_have_value(TYPED)
    assert page.evaluate(LEAVING_IS_GUARDED)
    assert not RiskEntry.objects.exists()


def test_typed_text_is_saved_before_a_risk_entry_posts(page: Page, workspace: WeeklyWork):
    lab_report(page).fill(TYPED)
    fill_risk(page).get_by_role("button", name="Add entry").click()  # within the two seconds
    expect(page.get_by_text("Entry added to your defect and risk log.")).to_be_visible()
    expect(lab_report(page)).to_have_value(TYPED)
    workspace.refresh_from_db()
    assert workspace.content["lab"]["text"] == TYPED and RiskEntry.objects.count() == 1
