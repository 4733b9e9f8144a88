"""The demo shows the insights: one student clearly at risk, and two mentors whose review
turnaround differs."""

from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort
from insights.selectors import at_risk_students, review_turnaround


def test_the_demo_has_one_student_at_risk_and_two_mentors_with_different_turnaround(demo):
    cohort = Cohort.objects.get(slug="demo-cohort")
    amara = User.objects.get(email="amara@demo.example")
    found = at_risk_students(cohort)
    assert list(found) == [amara.pk]
    assert [reason.rule for reason in found[amara.pk]] == ["weeks_behind", "overdue_high_risks"]
    assert "At risk in Demo cohort: Amara Student (2 reason(s))." in demo.output

    report = review_turnaround(cohort, start=cohort.start_date, end=timezone.localdate())
    by_name = {row.reviewer.email: row for row in report.reviewers}
    maya, omar = by_name["mentor.maya@demo.example"], by_name["mentor.omar@demo.example"]
    assert maya.median < report.deadline < omar.p90
    assert maya.median * 2 < omar.median
