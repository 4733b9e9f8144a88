"""Journey 1: an admin edits a week's objective in the admin; the change shows on the course
page, on the week page and in the edit history, with who made it."""

import re

from playwright.sync_api import Page, expect

from tests.factories import DEFAULT_PASSWORD, UserFactory

from .support import audit, audit_admin, save_docs_screenshot, sign_in

NEW_TEXT = "Evaluate REST error contracts against RFC 9457 problem details in a guided review of a failing API."


def test_an_admin_edits_an_objective_and_the_change_shows_everywhere(page: Page, course):
    admin = UserFactory(email="curriculum.lead@example.com", name="Grace Hopper", is_staff=True, is_superuser=True)
    week = course.weeks.get(number=3)
    objective = week.objectives.get(order=2)
    old_text = objective.text

    # The admin has no sign-in page of its own: it sends the person through allauth's form.
    page.goto("/admin/")
    sign_in(page, email=admin.email, password=DEFAULT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin/$"))
    audit_admin(page, "admin-index")

    page.get_by_role("link", name="Weeks", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("week to change")
    audit_admin(page, "admin-week-list")

    page.get_by_role("link", name=week.title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Change week")
    audit_admin(page, "admin-week-change")

    # Objective 2 is the inline row that shows its current text; its "Text" cell is the
    # second text box of the row (after the verb).
    objectives = page.get_by_role("group", name="Objectives")
    row = objectives.get_by_role("row").filter(has_text=old_text[:60])
    expect(row).to_have_count(1)
    text_box = row.get_by_role("textbox").filter(has_text=old_text[:60])
    expect(text_box).to_have_value(old_text)
    text_box.fill(NEW_TEXT)
    page.get_by_role("button", name="Toggle navigation").click()  # the sidebar folds away: room for the table
    save_docs_screenshot(page, "admin-week-edit", around=row)
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text(re.compile(r"was changed successfully"))).to_be_visible()
    audit_admin(page, "admin-week-saved")

    # The public pages show the new text at once.
    page.goto("/")
    # Weeks are folded to one row each; opening week 3 (a <details>, no script) shows the new text.
    week_card = page.locator(".week-card").filter(has=page.locator("summary", has_text=f"Week 3 {week.title}"))
    expect(week_card.get_by_text(NEW_TEXT)).to_be_hidden()
    audit(page, "course-overview-after-edit", docs_screenshot="course-overview")
    week_card.locator("summary").click()
    expect(week_card.get_by_text(NEW_TEXT)).to_be_visible()
    expect(page.get_by_text(old_text, exact=True)).to_have_count(0)

    week_card.get_by_role("link", name=f"Week 3: {week.title}").click()
    outcomes = page.get_by_role("region", name="Outcome objectives")
    expect(outcomes.get_by_role("listitem").nth(1)).to_contain_text(NEW_TEXT)
    audit(page, "week-page-after-edit", docs_screenshot="week-page")

    # The curriculum's edit history names who changed what.
    page.goto("/admin/curriculum/course/history/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Curriculum edit history")
    edits = page.get_by_role("table", name="Curriculum edits, newest first").get_by_role("row")
    edit = edits.filter(has_text="Objective changed").filter(has_text=NEW_TEXT[:80])
    expect(edit).to_have_count(1)
    expect(edit.get_by_role("cell").nth(1)).to_have_text(f"{admin.display_name} <{admin.email}>")
    expect(edit.get_by_role("cell").nth(4)).to_have_text("text")
    audit_admin(page, "curriculum-history", docs_screenshot="curriculum-history")

    # And so does the objective's own history, with the old and the new text.
    page.goto(f"/admin/curriculum/objective/{objective.pk}/change/")
    audit_admin(page, "admin-objective-change")
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Change history")
    history = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Changed by"))
    newest = history.get_by_role("row").nth(1)
    expect(newest).to_contain_text("Changed")
    expect(newest).to_contain_text(admin.display_name)
    # simple-history shortens long values in its "Changes" column.
    expect(newest.get_by_role("listitem")).to_contain_text(re.compile(rf"Text:\s*{re.escape(old_text[:60])}"))
    expect(newest.get_by_role("listitem")).to_contain_text(NEW_TEXT[:60])
    audit_admin(page, "admin-objective-history")
