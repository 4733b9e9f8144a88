"""Journey: a student whose mentor accepted week 1 (two objectives met, two not yet) and sent
week 2 back opens Grades from the navigation and reads the score, decision and running
average; then Mastery from the navigation: the heatmap cell of week 1's Evaluate objectives
opens to show them, and the criterion trend sits beside the cohort median."""

import re

from playwright.sync_api import Page, expect

from cohorts.models import Membership
from rubrics.models import Assessment
from rubrics.services import assessment_record, rubric_install_defaults
from submissions import services as submissions
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, MentorAssignmentFactory, UserFactory, rubric_scores

from .support import audit, cohort_in_week, sign_in


def submitted(cohort, student, number: int):
    work = submissions.work_get_or_create(student=student, cohort=cohort, week=cohort.course.weeks.get(number=number))
    submissions.work_save_draft(
        work=work,
        content={"concept": {"text": "The request path, measured hop by hop.", "objective_ids": []}},
        expected_version=work.draft_version,
        by=student,
    )
    return submissions.work_submit(work=work, by=student)


def test_a_student_opens_their_grades_and_mastery_from_the_navigation(page: Page, course, live_server):
    rubric = rubric_install_defaults(course=course)[0]
    cohort = cohort_in_week(course, 3)
    student = UserFactory(email="noor.haddad@example.com", name="Noor Haddad")
    mentor = UserFactory(email="kai.berg@example.com", name="Kai Berg")
    MembershipFactory(cohort=cohort, user=student, role=Membership.Role.STUDENT)
    MembershipFactory(cohort=cohort, user=mentor, role=Membership.Role.MENTOR)
    MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=student)
    for number, points, decision in ((1, [4, 3, 2, 1, 4], "accept"), (2, 2, "request_changes")):
        assessment_record(
            revision=submitted(cohort, student, number),
            scorer=mentor,
            kind=Assessment.Kind.MENTOR,
            scores=rubric_scores(rubric, points),
            feedback="Reviewed.",
            decision=decision,
        )

    page.goto("/accounts/login/")
    sign_in(page, email=student.email, password=DEFAULT_PASSWORD, audit_form=False)
    nav = page.get_by_role("navigation", name=re.compile("main", re.IGNORECASE))
    nav.get_by_role("link", name="Grades").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your grades")
    week1 = page.get_by_role("row", name=re.compile(r"^W1 "))
    expect(week1).to_contain_text("72.50")
    expect(week1).to_contain_text("Accept")
    expect(page.get_by_role("row", name=re.compile(r"^W2 "))).to_contain_text("61.25")  # the running average
    expect(page.locator("#grades-average")).to_contain_text("61.25")
    audit(page, "progress-grades", docs_screenshot="progress-grades")

    nav.get_by_role("link", name="Mastery").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your mastery")
    cell = page.locator("details.mh-cell").filter(has_text="Week 1, Evaluate")
    expect(cell).to_contain_text("Not yet met")
    cell.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(cell.get_by_role("listitem")).to_have_count(2)
    expect(cell.get_by_role("listitem").first).to_contain_text("Evaluate")
    expect(page.get_by_role("img", name=re.compile("Architecture-level decision quality"))).to_be_visible()
    expect(page.get_by_text("Cohort median").first).to_be_visible()
    audit(page, "progress-mastery", docs_screenshot="progress-mastery")
