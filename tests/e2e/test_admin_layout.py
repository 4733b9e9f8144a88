"""The curriculum admin at 1280 px: the week page's inline tables and the edit history fit the
screen with the sidebar open, and admin pages have an icon (no /favicon.ico 404). The course
overview folds its weeks and fits both 1280 and 390 px."""

import re

from playwright.sync_api import Page, expect

from curriculum.models import Objective
from curriculum.services import objective_update
from tests.factories import UserFactory

from .support import audit, audit_admin, log_in_as

LONG_TEXT = (
    "Evaluate REST error contracts against RFC 9457 problem details in a guided review of a failing API, "
    "including every validation branch, the retry semantics each client library assumes, and the way "
    "conflicting concurrent edits surface to a person filling in a long claims form on a slow phone."
)


def _document_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_the_week_page_and_the_edit_history_fit_1280_px_and_admin_pages_have_an_icon(page: Page, course, live_server):
    admin = UserFactory(email="layout.admin@example.com", is_staff=True, is_superuser=True)
    for objective in Objective.objects.filter(week__course=course, week__number=3, kind="outcome"):
        objective_update(objective=objective, text=LONG_TEXT, user=admin)  # long rows in the history too
    not_found: list[str] = []
    page.on("response", lambda response: not_found.append(response.url) if response.status == 404 else None)
    log_in_as(page.context, live_server.url, admin)

    week = course.weeks.get(number=3)
    page.goto(f"/admin/curriculum/week/{week.pk}/change/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Change week")
    expect(page.locator("#nav-sidebar")).to_be_visible()  # measured with the sidebar open
    assert _document_width(page) <= 1280
    for table in page.locator(".inline-group table").all():
        box = table.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1280, "an inline table runs off the screen"
    audit_admin(page, "admin-week-change-1280")

    page.goto("/admin/curriculum/course/history/")
    expect(page.get_by_role("table", name="Curriculum edits, newest first")).to_contain_text(LONG_TEXT[:40])
    assert _document_width(page) <= 1280
    box = page.get_by_role("table", name="Curriculum edits, newest first").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1280
    audit_admin(page, "admin-curriculum-history-1280")

    icon = page.locator('link[rel="icon"]')
    expect(icon).to_have_count(1)
    assert page.request.get(icon.get_attribute("href")).status == 200
    assert not [url for url in not_found if "favicon" in url], not_found


def test_the_course_overview_folds_weeks_and_fits_a_phone_and_a_desktop(page: Page, course):
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/")
        expect(page.locator(".week-card details")).to_have_count(24)
        expect(page.locator(".week-card details[open]")).to_have_count(0)
        assert _document_width(page) <= width
        jump = page.get_by_role("navigation", name="On this page")
        jump.get_by_role("link", name="Phase 3 · weeks 17–24").click()
        expect(page).to_have_url(re.compile(r"#phase-3$"))
        week = page.locator(".week-card").nth(16)
        week.locator("summary").click()
        expect(week.locator(".objectives li")).to_have_count(4)
        expect(week.locator(".objectives li").first).to_be_visible()
        assert _document_width(page) <= width
        audit(page, f"course-overview-{width}")


def test_the_course_page_offers_conflict_choices_and_the_introduction_fix(page: Page, course, live_server):
    from django.conf import settings

    from curriculum.models import ImportConflict
    from curriculum.services import curriculum_import

    admin = UserFactory(email="course.admin@example.com", is_staff=True, is_superuser=True)
    objective = Objective.objects.get(week__course=course, week__number=3, order=1)
    original = objective.text
    objective_update(objective=objective, text="The admin's own wording of week 3's first outcome.", user=admin)
    text = settings.CURRICULUM_DEFAULT_PATH.read_text(encoding="utf-8")
    report = curriculum_import(text=text.replace(original, "The customer's new wording."), source_name="customer.txt")
    assert len(report.conflicts) == 1
    log_in_as(page.context, live_server.url, admin)

    page.goto(f"/admin/curriculum/course/{course.pk}/change/")
    conflicts = page.get_by_role("table", name="Fields changed both here and in the file")
    expect(conflicts.get_by_role("row")).to_have_count(2)
    expect(conflicts).to_contain_text("The admin's own wording")
    expect(conflicts).to_contain_text("The customer's new wording.")
    expect(page.get_by_role("heading", name="Suggested fix: repeated sentences in the introduction")).to_be_visible()
    assert _document_width(page) <= 1280
    audit_admin(page, "admin-course-conflicts-and-fix")

    conflicts.get_by_role("button", name="Take file: Week 3, objective 1, text").click()
    expect(page.get_by_text("Week 3, objective 1, text: took the file's value.")).to_be_visible()
    assert ImportConflict.objects.get().resolution == ImportConflict.Resolution.TOOK_FILE
    page.get_by_role("button", name="Remove the repeated sentences").click()
    expect(page.get_by_text("Removed the repeated sentences from the introduction")).to_be_visible()
    expect(page.get_by_role("heading", name="Suggested fix: repeated sentences in the introduction")).to_have_count(0)
    audit_admin(page, "admin-course-after-fix")
