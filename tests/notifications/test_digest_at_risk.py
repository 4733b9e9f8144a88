"""The mentor's weekly digest says which of their students are at risk and why, by the
cohort's own at-risk rules (insights.selectors.at_risk_in_cohorts, the one owner)."""

import datetime

import pytest

from notifications.models import Kind, Notification, ReminderLog
from notifications.services import reminders_sweep
from submissions import services as submission_services
from tests.factories import AtRiskRulesFactory, CohortFactory, MembershipFactory, MentorAssignmentFactory

pytestmark = pytest.mark.django_db

# The people fixture's cohort starts Monday 7 September 2026 (Europe/Berlin): on Monday 28
# September, early morning, week 4 has opened and weeks 1 to 3 are due.
MONDAY_WEEK_4 = datetime.datetime(2026, 9, 28, 6, 0, tzinfo=datetime.UTC)


def submit_week(student, cohort, number: int) -> None:
    week = cohort.course.weeks.get(number=number)
    work = submission_services.work_get_or_create(student=student, cohort=cohort, week=week)
    submission_services.work_save_draft(
        work=work, content={"concept": {"text": "The ORM dominates."}}, expected_version=1, by=student
    )
    submission_services.work_submit(
        work=work, by=student, now=datetime.datetime(2026, 9, 8 + 7 * (number - 1), 9, tzinfo=datetime.UTC)
    )


def at_risk_section(mentor) -> dict:
    log = ReminderLog.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=mentor)
    *_, section = log.context["sections"]
    assert section["heading"] == "At risk"
    return section


def test_the_mentor_digest_lists_their_students_at_risk_with_the_reasons(people):
    cohort = people.cohort
    for number in (1, 2, 3):
        submit_week(people.other_student, cohort, number)
    # Retrospectives are left out of this test: the rule is off in this cohort.
    AtRiskRulesFactory(cohort=cohort, missing_retrospectives=0)
    reminders_sweep(now=MONDAY_WEEK_4, kinds=[Kind.WEEKLY_DIGEST])
    assert at_risk_section(people.mentor)["items"] == [
        f"{people.student.display_name}: Weeks behind: 3 missing: weeks 1, 2, 3"
    ]
    in_app = Notification.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=people.mentor).body
    assert f"At risk:\n• {people.student.display_name}: Weeks behind: 3 missing: weeks 1, 2, 3" in in_app
    # Students are told nothing about being "at risk": their digest has its own sections.
    student_log = ReminderLog.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=people.student)
    assert [s["heading"] for s in student_log.context["sections"]] == ["This week's objectives", "Still missing"]


def test_each_cohort_uses_its_own_rules_and_a_mentor_sees_only_their_students(people):
    # A second cohort on the same dates where nobody submitted, with the default rules.
    other = CohortFactory(course=people.cohort.course, start_date=people.cohort.start_date)
    mentor = MembershipFactory(cohort=other, role="mentor").user
    student = MembershipFactory(cohort=other).user
    MentorAssignmentFactory(cohort=other, mentor=mentor, student=student)
    AtRiskRulesFactory(cohort=people.cohort, weeks_behind=4, missing_retrospectives=4)
    reminders_sweep(now=MONDAY_WEEK_4, kinds=[Kind.WEEKLY_DIGEST])
    # Three weeks missing: under 4 in the people cohort, at least 2 (the default) in the other.
    assert at_risk_section(people.mentor)["items"] == ["Nobody: none of your students meets an at-risk rule."]
    assert at_risk_section(mentor)["items"] == [
        f"{student.display_name}: Weeks behind: 3 missing: weeks 1, 2, 3; "
        "Retrospectives missing: 3 not done: weeks 1, 2, 3"
    ]
