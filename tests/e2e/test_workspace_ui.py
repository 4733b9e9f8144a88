"""The workspace where the student is: a refused upload and a two-tab conflict are said (and
focused, and announced) beside the field in question, markdown sections preview in place,
and a success-criteria row is added without saving. static/js/app.js, submissions.js."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cohorts.models import Membership
from submissions import services
from submissions.models import WeeklyWork
from tests.factories import CohortFactory, MembershipFactory, UserFactory

from .support import audit, log_in_as

WEEK = 3
IN_VIEW = "el => { const box = el.getBoundingClientRect(); return box.top >= 0 && box.bottom <= window.innerHeight; }"


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


def test_a_refused_upload_brings_the_student_to_the_error(page: Page, workspace: WeeklyWork):
    evidence = page.get_by_role("region", name="5. Evidence in the draft")
    evidence.get_by_label("File").set_input_files(
        files=[{"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00" + b"\x00" * 200}]
    )
    evidence.get_by_label("What it proves", exact=False).first.fill("Nothing good")
    evidence.get_by_role("button", name="Upload").click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(re.compile(r"File: Files of type \S+ are not accepted"))
    assert summary.evaluate(IN_VIEW), "the error summary must be on screen, not thousands of pixels away"
    # The summary sits in the upload form, just above the field, and its link leads to it.
    upload_form = page.locator("form.evidence-form").filter(has=page.get_by_role("button", name="Upload"))
    expect(upload_form.get_by_role("alert").filter(has_text="There is a problem")).to_have_count(1)
    file_input = upload_form.get_by_label("File")
    expect(file_input).to_have_attribute("aria-invalid", "true")
    audit(page, "upload-refused")
    summary.get_by_role("link", name=re.compile("^File:")).click()
    expect(file_input).to_be_focused()
    assert not workspace.artifacts.exists()


def test_a_refused_profile_form_focuses_its_error_summary(page: Page, workspace: WeeklyWork):
    page.goto("/portfolio/")
    page.get_by_label("Address").fill("Not A Valid Address!")
    page.get_by_role("button", name=re.compile("^Save")).first.click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("^Address:"))).to_be_visible()
    expect(page.get_by_label("Address")).to_have_attribute("aria-invalid", "true")


def test_the_two_tab_conflict_is_said_beside_the_field_being_typed_in(page: Page, workspace: WeeklyWork):
    lab_report(page).fill("First words.")
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Draft saved at \d"))
    other_tab = WeeklyWork.objects.get(pk=workspace.pk)
    services.work_save_draft(
        work=other_tab, content={"lab": {"text": "From the other tab."}}, expected_version=2, by=workspace.student
    )
    lab_report(page).fill("Typed while the other tab saved.")
    expect(page.get_by_role("status")).to_contain_text("saved from another tab")

    beside = page.locator("#conflict-here")
    expect(beside).to_have_attribute("role", "alert")
    expect(beside).to_contain_text("saved from another tab")
    expect(beside).to_be_in_viewport()
    # Right under the Lab report field, and read out with it.
    assert beside.evaluate("el => el.previousElementSibling.contains(document.getElementById('id_lab_text'))")
    expect(lab_report(page)).to_have_attribute("aria-describedby", re.compile(r"\bconflict-here\b"))
    audit(page, "conflict-beside-the-field")


def test_a_markdown_section_previews_as_the_page_will_show_it(page: Page, workspace: WeeklyWork):
    lab_report(page).fill(
        "## Load test\n\n**p95 41 ms** at 200 req/s.\n\n<script>window.hacked = 1</script>\n"
        '<img src=x onerror="window.hacked = 2">\n[trace](javascript:window.hacked=3)'
    )
    tabs = page.get_by_role("tablist", name="Lab report")
    tabs.get_by_role("tab", name="Preview").click()
    preview = page.get_by_role("tabpanel", name="Preview").filter(has_text="Load test")
    expect(preview.get_by_role("heading", name="Load test")).to_be_visible()
    expect(preview.locator("strong")).to_have_text("p95 41 ms")
    expect(lab_report(page)).to_be_hidden()
    expect(preview.locator("script, img")).to_have_count(0)
    expect(preview).to_contain_text("trace")  # the text stays, the javascript: link does not
    expect(preview.locator("a[href^='javascript'], [onerror]")).to_have_count(0)
    assert page.evaluate("() => window.hacked === undefined")
    audit(page, "markdown-preview")

    tabs.get_by_role("tab", name="Write").click()
    expect(lab_report(page)).to_be_visible()
    expect(lab_report(page)).to_be_focused()
    expect(lab_report(page)).to_have_value(re.compile(r"^## Load test"))
    # The typing above is autosaved: let that finish before the test's database is emptied.
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Draft saved at \d"))


def test_a_success_criterion_row_is_added_without_saving(page: Page, workspace: WeeklyWork):
    rows = page.locator("#criteria-rows > tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_text("Save to get another empty row.")).to_be_hidden()
    for number in (1, 2, 3):
        page.get_by_role("textbox", name=f"Criterion (criterion {number})").fill(f"Criterion {number}")
    page.get_by_role("button", name="Add a criterion").click()
    expect(rows).to_have_count(4)
    fourth = page.get_by_role("textbox", name="Criterion (criterion 4)")
    expect(fourth).to_be_focused()
    fourth.fill("Error rate under 0.1 %")
    page.get_by_role("textbox", name="Target (criterion 4)").fill("< 0.1 %")
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Draft saved at \d"))
    audit(page, "criterion-row-added")

    workspace.refresh_from_db()
    criteria = workspace.content["dossier"]["criteria"]
    assert [c["criterion"] for c in criteria] == ["Criterion 1", "Criterion 2", "Criterion 3", "Error rate under 0.1 %"]
    assert criteria[3]["target"] == "< 0.1 %"
    page.reload()
    expect(page.get_by_role("textbox", name="Criterion (criterion 4)")).to_have_value("Error rate under 0.1 %")
    expect(rows).to_have_count(5)  # the saved four and one empty
