"""An accessibility tour: every page that exists today, seen by each kind of person, audited
with axe-core. A page added later belongs in the journey of the person who uses it."""

import re

import pytest
from playwright.sync_api import Page, expect

from .support import audit, audit_admin, log_in_as


def _visit(page: Page, path: str, name: str, *, admin: bool = False) -> None:
    """Open a page, check it answered and has exactly one h1, and audit it."""
    response = page.goto(path)
    assert response is not None and response.ok, f"{path} answered {response.status if response else 'nothing'}"
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    (audit_admin if admin else audit)(page, name)


def test_a_visitor_can_use_the_public_pages_and_the_account_forms(page: Page, course):
    _visit(page, "/", "course-overview")
    week_3 = page.locator(".week-card").nth(2)  # folded: open it (a <details>) to reach its link
    week_3.locator("summary").click()
    week_3.get_by_role("link", name=re.compile(r"^Week 3: ")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Week 3")
    audit(page, "week-page")
    _visit(page, "/accounts/login/", "sign-in")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit(page, "sign-in-with-an-error")
    _visit(page, "/accounts/signup/", "sign-up")
    page.get_by_label("Email").fill("new.learner@example.com")
    page.get_by_label(re.compile(r"^Password(?! \(again\))")).fill("a long enough passphrase")
    page.get_by_label("Password (again)").fill("a different passphrase")
    page.get_by_role("main").get_by_role("button", name="Sign up").click()
    # exact: the error summary (static/js/app.js) repeats the message after the field's name.
    expect(page.get_by_text("You must type the same password each time.", exact=True)).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_focused()
    audit(page, "sign-up-with-errors")
    _visit(page, "/accounts/password/reset/", "password-reset")


@pytest.mark.parametrize("role", ["student", "mentor", "instructor"])
def test_cohort_members_pages_are_accessible(role, page: Page, people, live_server):
    log_in_as(page.context, live_server.url, getattr(people, role))
    _visit(page, "/", f"{role}-course-overview")
    _visit(page, f"/courses/{people.cohort.course.slug}/weeks/1/", f"{role}-week-page")
    _visit(page, "/cohorts/", f"{role}-cohort-list")
    page.get_by_role("link", name=people.cohort.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(people.cohort.name)
    audit(page, f"{role}-cohort-detail")
    _visit(page, "/accounts/profile/", f"{role}-profile")
    _visit(page, "/accounts/2fa/", f"{role}-two-factor")
    _visit(page, "/accounts/password/change/", f"{role}-change-password")
    _visit(page, "/accounts/email/", f"{role}-email-addresses")


def test_the_instructor_cohort_management_forms_are_labelled(page: Page, people, live_server):
    log_in_as(page.context, live_server.url, people.instructor)
    _visit(page, f"/cohorts/{people.cohort.slug}/", "instructor-cohort-management")
    add_member = page.get_by_role("form", name="Add a member")
    assign_mentor = page.get_by_role("form", name="Assign a mentor")
    grant_extension = page.get_by_role("form", name="Grant an extension")
    expect(assign_mentor.get_by_label("Mentor")).to_be_visible()
    expect(grant_extension.get_by_label("Week")).to_be_visible()
    expect(grant_extension.get_by_label("New due date and time")).to_be_visible()
    expect(grant_extension.get_by_label("Reason")).to_be_visible()

    # The person pickers are text fields: suggestions come as one types (a <datalist>), and
    # an exact name is enough to assign.
    student = assign_mentor.get_by_label("Student")
    student.fill(people.student.email[:6])
    expect(page.locator(f'#id_student-suggestions option[value="{people.student.email}"]')).to_have_count(1)
    assign_mentor.get_by_label("Mentor").fill(people.unassigned_mentor.email)
    student.fill(people.student.name)
    assign_mentor.get_by_role("button", name="Assign mentor").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"{people.unassigned_mentor.display_name} now mentors {people.student.display_name}."
    )
    # Nobody matching is an error beside the field, summarised and focused, what was typed kept.
    assign_mentor.get_by_label("Mentor").fill("nobody at all")
    assign_mentor.get_by_label("Student").fill(people.other_student.email)
    assign_mentor.get_by_role("button", name="Assign mentor").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_focused()
    expect(assign_mentor).to_contain_text("No mentor of this cohort matches “nobody at all”.")
    expect(assign_mentor.get_by_label("Student")).to_have_value(people.other_student.email)
    audit(page, "instructor-picker-refused")

    add_member = page.get_by_role("form", name="Add a member")
    add_member.get_by_label("E-mail address").fill(people.stranger.email)
    add_member.get_by_label("Role").select_option(label="Mentor")
    add_member.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("status")).to_contain_text(f"Added {people.stranger.email} as mentor.")
    audit(page, "instructor-added-a-member")


def test_the_admin_pages_we_customised_are_accessible(page: Page, people, live_server, course):
    log_in_as(page.context, live_server.url, people.admin)
    week = course.weeks.get(number=3)
    _visit(page, "/admin/", "admin-index", admin=True)
    _visit(page, f"/admin/curriculum/week/{week.pk}/change/", "admin-week-change", admin=True)
    _visit(page, f"/admin/curriculum/course/{course.pk}/change/", "admin-course-change", admin=True)
    _visit(page, "/admin/curriculum/course/history/", "admin-curriculum-history", admin=True)
    expect(page.get_by_role("table", name="Curriculum edits, newest first")).to_be_visible()
