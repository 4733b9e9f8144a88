"""Every page of the people's journeys, found in the demo that `seed_demo` builds: the phone
width test visits each of them, and so can anyone checking a layout by hand."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from accounts.models import User
from cohorts.models import Cohort
from credentials.models import Credential
from curriculum.models import CapstoneDeliverable
from feedback.models import Thread
from portfolios.models import Portfolio
from reports.models import ReportRun
from rubrics import selectors as rubric_selectors
from rubrics.models import CalibrationRun, PeerAssignment
from submissions.models import Revision, WeeklyWork
from submissions.services import work_get_or_create


@dataclass(frozen=True)
class JourneyPage:
    who: str  # the demo account's e-mail; "" for a signed-out visitor
    name: str
    path: str


def _work_path(work: WeeklyWork) -> str:
    return f"/work/{work.pk}/"


def journey_pages() -> list[JourneyPage]:
    """The pages a student, a mentor, an instructor and a visitor use, with the demo's real
    content (long texts, revisions with changes, full grids) rather than empty states.
    Starts the student's first capstone deliverable if the demo has not."""
    cohort = Cohort.objects.get(slug="demo-cohort")
    course = cohort.course
    student = User.objects.get(email="sam@demo.example")
    mentor = User.objects.get(email="mentor.maya@demo.example")
    instructor = User.objects.get(email="instructor@demo.example")
    works = WeeklyWork.objects.filter(student=student, cohort=cohort)
    draft = works.filter(state=WeeklyWork.State.DRAFT, week__isnull=False).order_by("-week__number").first()
    # A capstone deliverable the student has started (the demo's students have not yet).
    first_deliverable = CapstoneDeliverable.objects.filter(project__course=course).order_by("pk").first()
    capstone = work_get_or_create(student=student, cohort=cohort, deliverable=first_deliverable)
    revised = (
        works.annotate(revision_count=Count("revisions")).filter(revision_count__gt=1).order_by("week__number").first()
    )
    revision = Revision.objects.filter(work__student=student).order_by("-submitted_at").first()
    peer_task = PeerAssignment.objects.filter(reviewer=student, assessment__isnull=True).first()
    waiting = rubric_selectors.review_queue(mentor)[0]
    calibration = CalibrationRun.objects.filter(cohort=cohort).first()
    report = ReportRun.objects.filter(requested_by=instructor).order_by("pk").first()
    public = Portfolio.objects.get(slug="priya-backend")
    credential = Credential.objects.active().get(entry__portfolio=public)  # courseplatform/demo/credentials.py
    accepted = works.filter(state=WeeklyWork.State.ACCEPTED).first()
    previewed = works.filter(artifacts__original_name="rack-photo.jpg").first()  # courseplatform/demo/previews.py

    s, m, i = student.email, mentor.email, instructor.email
    pages = [
        JourneyPage("", "course overview", "/"),
        JourneyPage("", "week page", f"/courses/{course.slug}/weeks/3/"),
        JourneyPage("", "sign in", "/accounts/login/"),
        JourneyPage("", "public portfolio", f"/p/{public.slug}/"),
        JourneyPage("", "credential", f"/credentials/{credential.pk}/"),
        JourneyPage("", "verify a credential", f"/credentials/verify/?credential={credential.pk}"),
        JourneyPage(s, "student dashboard", "/dashboard/"),
        JourneyPage(s, "week workspace", _work_path(draft)),
        JourneyPage(s, "evidence previews", _work_path(previewed)),
        JourneyPage(s, "capstone workspace", _work_path(capstone)),
        JourneyPage(s, "revision", f"/work/{revision.work_id}/revisions/{revision.number}/"),
        JourneyPage(s, "compare revisions", f"/work/{revised.pk}/diff/"),
        JourneyPage(s, "compare revisions side by side", f"/work/{revised.pk}/diff/?mode=side"),
        JourneyPage(s, "feedback", f"/review/feedback/{revision.pk}/"),
        JourneyPage(s, "self-assessment", f"/review/works/{draft.pk}/self-assessment/"),
        JourneyPage(s, "portfolio editor", "/portfolio/"),
        JourneyPage(s, "notifications", "/notifications/"),
        JourneyPage(s, "preferences", "/notifications/preferences/"),
        JourneyPage(s, "tokens", "/accounts/tokens/"),
        JourneyPage(s, "profile", "/accounts/profile/"),
        JourneyPage(s, "calendar feed", "/calendar/"),
        JourneyPage(s, "progress", f"/review/cohorts/{cohort.slug}/students/{student.pk}/progress/"),
        JourneyPage(s, "grades", f"/progress/{cohort.slug}/students/{student.pk}/grades/"),
        JourneyPage(s, "mastery", f"/progress/{cohort.slug}/students/{student.pk}/mastery/"),
        JourneyPage(s, "peer queue", "/review/peer/"),
        JourneyPage(s, "student reports", "/reports/"),
        JourneyPage(s, "student cohort", f"/cohorts/{cohort.slug}/"),
        JourneyPage(m, "review queue", "/review/"),
        JourneyPage(m, "calendar feed", "/calendar/"),
        JourneyPage(m, "scoring page", f"/review/revisions/{waiting.revision.pk}/"),
        JourneyPage(m, "gradebook", f"/insights/{cohort.slug}/gradebook/"),
        JourneyPage(m, "heatmap", f"/insights/{cohort.slug}/heatmap/"),
        JourneyPage(m, "calibration list", "/review/calibration/"),
        JourneyPage(m, "mentor cohort", f"/cohorts/{cohort.slug}/"),
        JourneyPage(m, "mentor's student dashboard", f"/dashboard/{cohort.slug}/students/{student.pk}/"),
        JourneyPage(m, "mentor's view of a workspace", _work_path(draft)),
        JourneyPage(m, "mentor reports", "/reports/"),
        JourneyPage(m, "mentor's view of mastery", f"/progress/{cohort.slug}/students/{student.pk}/mastery/"),
        JourneyPage(i, "instructor cohort", f"/cohorts/{cohort.slug}/"),
        JourneyPage(i, "instructor gradebook", f"/insights/{cohort.slug}/gradebook/"),
        JourneyPage(
            i,
            "instructor gradebook sorted and filtered",
            f"/insights/{cohort.slug}/gradebook/?sort=w1&dir=desc&status=accepted",
        ),
        JourneyPage(i, "instructor heatmap", f"/insights/{cohort.slug}/heatmap/"),
        JourneyPage(i, "calibration", f"/review/calibration/{calibration.pk}/"),
        JourneyPage(i, "new calibration run", f"/review/calibration/new/{cohort.slug}/"),
        JourneyPage(i, "instructor reports", "/reports/"),
        JourneyPage(i, "report", f"/reports/{report.pk}/"),
        JourneyPage(i, "cohort list", "/cohorts/"),
        JourneyPage(i, "mastery rule", f"/review/cohorts/{cohort.slug}/mastery-rule/"),
        JourneyPage(i, "insights", "/insights/"),
        JourneyPage(i, "students at risk", f"/insights/{cohort.slug}/at-risk/"),
        JourneyPage(i, "at-risk rules", f"/insights/{cohort.slug}/at-risk/rules/"),
        JourneyPage(i, "review turnaround", f"/insights/{cohort.slug}/turnaround/"),
        JourneyPage(i, "curriculum coverage", "/insights/coverage/"),
        JourneyPage(m, "mentor's students at risk", f"/insights/{cohort.slug}/at-risk/"),
    ]
    if peer_task is not None:
        pages.append(JourneyPage(s, "peer review", f"/review/peer/{peer_task.pk}/"))
    if accepted is not None:
        pages.append(JourneyPage(s, "publish to portfolio", f"/portfolio/publish/{accepted.pk}/"))
    # The demo's comment threads (courseplatform/demo/feedback.py): beside the sections of a
    # workspace in "changes requested" history, on the scoring page, and one thread alone.
    thread = Thread.objects.filter(work__cohort=cohort).select_related("work__student").order_by("pk").first()
    if thread is not None:
        threaded = thread.work
        pages += [
            JourneyPage(threaded.student.email, "workspace with comment threads", _work_path(threaded)),
            JourneyPage(i, "scoring page with comment threads", f"/review/revisions/{threaded.latest_revision_id}/"),
            JourneyPage(i, "comment thread", f"/feedback/threads/{thread.pk}/"),
        ]
    return pages
