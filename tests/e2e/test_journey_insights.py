"""Journey: an instructor opens Insights from the navigation, reads who is at risk in the
cohort and why, tunes a rule and sees the list change, then opens an at-risk student's
mastery page and their per-criterion progress page from the list."""

import datetime
import re

from playwright.sync_api import Page, expect

from cohorts.models import Membership
from cohorts.schedule import week_window
from submissions import services as submissions
from tests.factories import (
    DEFAULT_PASSWORD,
    MembershipFactory,
    MentorAssignmentFactory,
    RetrospectiveFactory,
    UserFactory,
)

from .support import audit, cohort_in_week, sign_in

# (name, e-mail, the weeks submitted and reflected on); weeks 1 to 5 are due.
STUDENTS = [
    ("Noor Haddad", "noor.haddad@example.com", (1, 2, 3, 4, 5)),
    ("Ravi Menon", "ravi.menon@example.com", (1, 2, 3, 4)),
    ("Lena Fischer", "lena.fischer@example.com", (1, 2)),
]


def test_an_instructor_tunes_the_at_risk_rules_and_opens_a_student_at_risk(page: Page, course, live_server):
    cohort = cohort_in_week(course, 6)
    instructor = UserFactory(email="ada.lovelace@example.com", name="Ada Lovelace")
    mentor = UserFactory(email="jonas.weber@example.com", name="Jonas Weber")
    MembershipFactory(cohort=cohort, user=instructor, role=Membership.Role.INSTRUCTOR)
    MembershipFactory(cohort=cohort, user=mentor, role=Membership.Role.MENTOR)
    for name, email, weeks in STUDENTS:
        student = UserFactory(email=email, name=name)
        MembershipFactory(cohort=cohort, user=student, role=Membership.Role.STUDENT)
        MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=student)
        for number in weeks:
            week = course.weeks.get(number=number)
            work = submissions.work_get_or_create(student=student, cohort=cohort, week=week)
            submissions.work_save_draft(
                work=work,
                content={"concept": {"text": "The request path, measured hop by hop.", "objective_ids": []}},
                expected_version=work.draft_version,
                by=student,
            )
            submissions.work_submit(
                work=work, by=student, now=week_window(cohort, number).opens_at + datetime.timedelta(days=1)
            )
            RetrospectiveFactory(student=student, cohort=cohort, week=week)

    page.goto("/accounts/login/")
    sign_in(page, email=instructor.email, password=DEFAULT_PASSWORD, audit_form=False)
    page.get_by_role("navigation", name=re.compile("main", re.IGNORECASE)).get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights")
    audit(page, "insights-start")
    page.get_by_role("link", name=f"At risk in {cohort.name}").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Students at risk")
    expect(page.get_by_text("1 of 3 students of the cohort")).to_be_visible()
    lena = page.get_by_role("row", name=re.compile("^Lena Fischer"))
    expect(lena).to_contain_text("3 missing: weeks 3, 4, 5")
    expect(lena).to_contain_text("Retrospectives missing")
    expect(page.get_by_role("row", name=re.compile("^Ravi Menon"))).to_have_count(0)
    audit(page, "insights-at-risk", docs_screenshot="insights-at-risk")

    page.get_by_role("link", name="Tune the rules").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("At-risk rules")
    page.get_by_label("Weeks behind").fill("1")
    page.get_by_label("Missing retrospectives").fill("0")
    audit(page, "insights-rules")
    page.get_by_role("button", name="Save the rules").click()

    expect(page.get_by_text("At-risk rules saved")).to_be_visible()
    expect(page.get_by_text("2 of 3 students of the cohort")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("^Ravi Menon"))).to_contain_text("1 missing: week 5")
    expect(page.get_by_role("row", name=re.compile("^Lena Fischer"))).not_to_contain_text("Retrospectives missing")
    expect(page.get_by_role("row", name=re.compile("^Noor Haddad"))).to_have_count(0)

    # The journey: from the list to the at-risk student's mastery page.
    page.get_by_role("link", name="Mastery of Lena Fischer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mastery of Lena Fischer")
    expect(page.get_by_role("heading", name="Weeks × Bloom levels")).to_be_visible()
    # Nothing of hers was accepted, so no objective is judged: week 3 is due and not assessed.
    expect(page.locator("summary", has_text="Week 3, Analyze:")).to_contain_text("Not assessed")
    audit(page, "insights-student-mastery")
    page.go_back()
    page.get_by_role("link", name="Progress of Lena Fischer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Progress of Lena Fischer")
    audit(page, "insights-student-progress")


def test_an_instructor_reads_review_turnaround_and_curriculum_coverage(page: Page, course, live_server):
    cohort = cohort_in_week(course, 3)
    instructor = UserFactory(email="ada.lovelace@example.com", name="Ada Lovelace")
    MembershipFactory(cohort=cohort, user=instructor, role=Membership.Role.INSTRUCTOR)
    page.goto("/accounts/login/")
    sign_in(page, email=instructor.email, password=DEFAULT_PASSWORD, audit_form=False)
    page.goto("/insights/")
    page.get_by_role("link", name=f"Review turnaround in {cohort.name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review turnaround")
    expect(page.get_by_text("No decisions in this period.")).to_be_visible()
    audit(page, "insights-turnaround")
    page.get_by_label("From").fill("2026-10-10")
    page.get_by_label("To (included)").fill("2026-10-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("The end of the period comes before its start.").first).to_be_visible()
    audit(page, "insights-turnaround-refused")

    page.goto("/insights/")
    page.get_by_role("link", name="Curriculum coverage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Curriculum coverage")
    expect(page.get_by_role("img", name="Outcome objectives per Bloom level, week by week")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("^All weeks"))).to_contain_text("96")
    audit(page, "insights-coverage", docs_screenshot="insights-coverage")
