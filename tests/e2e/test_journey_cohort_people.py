"""Journey: an instructor invites a mentor by e-mail (the mentor opens the e-mailed link,
signs in and joins), then imports a 30-line roster with two bad lines (reported with their
line numbers, nothing imported) and, once the file is fixed, imports it."""

import re

from playwright.sync_api import Page, expect

from cohorts.models import CohortInvitation, Membership
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

from .support import audit, cohort_in_week, sign_in, sign_out


def _roster(bad: bool) -> str:
    lines = ["email,role,name,mentor_email"]
    for n in range(1, 31):
        lines.append(f"learner{n:02d}@example.com,student,Learner {n},grace.hopper@example.com")
    if bad:
        lines[7] = "learner07-at-example.com,student,Learner 7,"  # file line 8
        lines[20] = "learner20@example.com,teacher,Learner 20,"  # file line 21
    return "\n".join(lines) + "\n"


def test_an_instructor_invites_a_mentor_and_imports_a_roster(page: Page, course, mailoutbox, tmp_path):
    cohort = cohort_in_week(course, 2)
    instructor = UserFactory(email="ada.lovelace@example.com", name="Ada Lovelace")
    MembershipFactory(cohort=cohort, user=instructor, role=Membership.Role.INSTRUCTOR)
    grace = UserFactory(email="grace.hopper@example.com", name="Grace Hopper")

    page.goto(f"/cohorts/{cohort.slug}/")
    sign_in(page, email=instructor.email, password=DEFAULT_PASSWORD)
    invite = page.locator("form", has=page.get_by_role("heading", name="Invite by e-mail"))
    invite.get_by_label("E-mail address").fill("Grace.Hopper@example.com")
    invite.get_by_label("Role").select_option("mentor")
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation e-mailed to grace.hopper@example.com as mentor.")).to_be_visible()
    pending = page.get_by_role("region", name="Pending invitations")
    expect(pending).to_contain_text("grace.hopper@example.com · mentor")
    audit(page, "cohort-pending-invitation")

    (message,) = mailoutbox
    assert message.to == ["grace.hopper@example.com"]
    link = re.search(r"http\S+/cohorts/invitations/\S+/", message.body).group(0)
    sign_out(page)

    # Grace opens the link signed out, signs in from it and comes back to accept.
    page.goto("/cohorts/" + link.split("/cohorts/", 1)[1])  # the live server, not SITE_URL
    expect(page.get_by_role("heading", level=1)).to_have_text(f"You are invited to {cohort.name}")
    audit(page, "invitation-signed-out")
    page.locator("#main").get_by_role("link", name="Sign in").click()
    sign_in(page, email=grace.email, password=DEFAULT_PASSWORD, audit_form=False)
    page.get_by_role("button", name=f"Join {cohort.name} as mentor").click()
    expect(page.get_by_text(f"Welcome to {cohort.name}: you are a mentor.")).to_be_visible()
    assert Membership.objects.get(cohort=cohort, user=grace).role == "mentor"
    sign_out(page)

    # The roster: two bad lines are reported with their numbers and nothing is imported.
    page.goto(f"/cohorts/{cohort.slug}/roster/")
    sign_in(page, email=instructor.email, password=DEFAULT_PASSWORD, audit_form=False)
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a roster")
    bad_file = tmp_path / "roster.csv"
    bad_file.write_text(_roster(bad=True), encoding="utf-8")
    page.get_by_label("Roster (CSV)").set_input_files(str(bad_file))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_contain_text("2 lines cannot be imported")
    table = page.get_by_role("table", name="What importing each line would do")
    expect(table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="8", exact=True))).to_contain_text(
        "is not an e-mail address"
    )
    expect(table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="21", exact=True))).to_contain_text(
        "unknown role “teacher”"
    )
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
    audit(page, "roster-preview-errors")
    assert not CohortInvitation.objects.filter(cohort=cohort, role="student").exists()

    good_file = tmp_path / "roster-fixed.csv"
    good_file.write_text(_roster(bad=False), encoding="utf-8")
    page.get_by_label("Roster (CSV)").set_input_files(str(good_file))
    page.get_by_role("button", name="Check the file").click()
    expect(table.get_by_text("invite by e-mail")).to_have_count(30)
    page.get_by_role("button", name="Import 30 lines").click()
    expect(page.get_by_text("Roster imported: 0 added, 30 invited")).to_be_visible()
    assert CohortInvitation.objects.filter(cohort=cohort, role="student").open().count() == 30
    assert len(mailoutbox) == 31
