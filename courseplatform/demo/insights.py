"""Demo insights: the demo cohort's at-risk rules tuned by its instructor, and one student
clearly at risk (two weeks missing and a high-severity risk left open past its week), so the
at-risk list, the gradebook marks and the mentor's digest show a real case. The two mentors'
different review turnaround comes from the review demo (courseplatform/demo/rubrics.py).
Idempotent: the rules are set to the same values and the risk is logged once."""

from courseplatform.demo import DemoContext
from insights.selectors import at_risk_students
from insights.services import at_risk_rules_update
from submissions import services as submission_services
from submissions.models import RiskEntry, WeeklyWork

AT_RISK_STUDENT = 4  # Amara: weeks 4 (a draft) and 5 (nothing) are missing in the demo plan
OPEN_RISK_TITLE = "Connection pool exhausted at 100 requests/s; the load test never finished"


def seed(demo: DemoContext) -> None:
    if demo.cohort is None or len(demo.students) <= AT_RISK_STUDENT:
        return
    cohort = demo.cohort
    # The instructor asks for three missing retrospectives before calling it a risk: in the
    # demo, two students left one or two half written, which is worth a word, not an alarm.
    at_risk_rules_update(
        cohort=cohort,
        weeks_behind=2,
        falling_score_weeks=3,
        max_revisions=3,
        missing_retrospectives=3,
        overdue_high_risks=1,
    )
    student = demo.students[AT_RISK_STUDENT]
    draft = (
        WeeklyWork.objects.filter(cohort=cohort, student=student, state=WeeklyWork.State.DRAFT, week__isnull=False)
        .select_related("week")
        .order_by("week__number")
        .first()
    )
    logged = RiskEntry.objects.filter(cohort=cohort, student=student, title=OPEN_RISK_TITLE).exists()
    if draft is not None and not logged:
        submission_services.risk_entry_create(
            student=student,
            cohort=cohort,
            week=draft.week,
            kind=RiskEntry.Kind.RISK,
            title=OPEN_RISK_TITLE,
            severity=RiskEntry.Severity.HIGH,
            description="The pool of 20 connections runs dry after 40 s; no fix or mitigation yet.",
        )
    found = at_risk_students(cohort, now=demo.now)
    names = {s.pk: s.display_name for s in demo.students}
    demo.write(
        f"At risk in {cohort.name}: "
        + ("; ".join(f"{names.get(pk, pk)} ({len(reasons)} reason(s))" for pk, reasons in found.items()) or "nobody")
        + "."
    )
