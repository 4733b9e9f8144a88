"""Comment threads in the demo: one week of the second student's work reviewed with
anchored comments in every state.

Revision 1 is submitted three days ago; the mentor comments on a sentence of the concept
analysis, on a sentence of the decision record, on the whole lab report and on an evidence
item; an anonymous peer comments on a sentence; the student replies to two; the mentor
requests changes. The student rewrites one quoted sentence (its thread becomes outdated),
keeps the other, marks two threads addressed and submits revision 2, which waits in the
mentor's queue: the scoring page shows what the student says is addressed, with the diff of
the anchored text. One thread is resolved, one stays open with a reply, one is open untouched.

Idempotent: nothing is added once the cohort has threads.
"""

import datetime

from cohorts.models import MentorAssignment
from courseplatform.demo import DemoContext
from courseplatform.demo.rubrics import _scores
from feedback import services
from feedback.models import Thread
from rubrics import selectors as rubric_selectors
from rubrics import services as rubric_services
from rubrics.models import Assessment
from submissions import services as submission_services
from submissions.models import WeeklyWork

CONCEPT_R1 = (
    "## Where the time goes\n\n"
    "The p95 of the order list is 900 ms under 200 requests per second. "
    "The ORM issues one query per order line, so the list page makes 51 queries.\n\n"
    "Caching the rendered list hides the slow query but does not remove it."
)
CONCEPT_R2 = (
    "## Where the time goes\n\n"
    "The p95 of the order list is 900 ms under 200 requests per second (k6, 5 runs, median shown). "
    "A trace shows 61 % of the time in 51 queries: one per order line.\n\n"
    "Caching the rendered list hides the slow query but does not remove it."
)
RATIONALE = "A covering index is the cheapest fix that keeps every read consistent."
LAB = "Ran the k6 scenario against the staging copy; results in the evidence."


def _draft(content_concept: str) -> dict:
    return {
        "concept": {"text": content_concept, "objective_ids": []},
        "lab": {"text": LAB, "gates": {}},
        "decision": {
            "options": "Index, cache, denormalise.",
            "decision": "Add a covering index on (order_id, position).",
            "rationale": RATIONALE,
        },
        "revision_note": "",
    }


def seed(demo: DemoContext) -> None:
    if demo.cohort is None or len(demo.students) < 3:
        return
    cohort = demo.cohort
    if Thread.objects.filter(work__cohort=cohort).exists():
        demo.write("Comment threads exist already; nothing added.")
        return
    student = demo.students[1]
    assignment = MentorAssignment.objects.filter(cohort=cohort, student=student).select_related("mentor").first()
    if assignment is None:
        return
    mentor = assignment.mentor
    taken = set(WeeklyWork.objects.filter(cohort=cohort, student=student).values_list("week__number", flat=True))
    week = next((w for w in cohort.course.weeks.order_by("-number") if w.number not in taken), None)
    if week is None:
        return
    now = demo.now
    work = submission_services.work_get_or_create(student=student, cohort=cohort, week=week)
    submission_services.work_save_draft(
        work=work, content=_draft(CONCEPT_R1), expected_version=work.draft_version, by=student
    )
    submission_services.artifact_add_link(
        work=work, url="https://example.com/k6/order-list-run-5", proves="p95 under 200 req/s", by=student
    )
    r1 = submission_services.work_submit(work=work, by=student, now=now - datetime.timedelta(days=3))
    artifact_id = r1.content["artifacts"][0]["id"]

    outdated = services.thread_open(
        revision=r1,
        by=mentor,
        section="concept",
        quote="The ORM issues one query per order line, so the list page makes 51 queries.",
        body="How do you know it is the ORM? Show the trace or the query log, with the share of time it takes.",
    )
    services.thread_open(
        revision=r1,
        by=mentor,
        section="concept",
        quote="Caching the rendered list hides the slow query but does not remove it.",
        body="Good point. Say what you would cache later, once the query is fixed.",
    )
    resolved = services.thread_open(
        revision=r1,
        by=mentor,
        section="decision",
        quote="A covering index is the cheapest fix",
        body="Cheapest in what: time to build, storage, write cost?",
    )
    services.thread_open(revision=r1, by=mentor, section="lab", body="The lab report needs the quality gates' results.")
    evidence = services.thread_open(
        revision=r1, by=mentor, section="evidence", artifact_id=artifact_id, body="Link the raw k6 summary too."
    )
    assignments = rubric_services.peer_assign_reviewers(revision=r1, now=r1.submitted_at)
    anonymous = [a for a in assignments if a.anonymous]
    peer_thread = None
    if anonymous:
        peer_thread = services.thread_open(
            revision=r1,
            by=anonymous[0].reviewer,
            section="concept",
            quote="The p95 of the order list is 900 ms under 200 requests per second.",
            body="Is this one run or several? A single k6 run can be noisy.",
        )
    services.thread_reply(thread=outdated, by=student, body="I will add the trace from the profiler.")
    services.thread_reply(thread=evidence, by=student, body="Added the summary file in the next revision.")
    if peer_thread is not None:
        services.thread_reply(thread=peer_thread, by=student, body="Five runs; I will say so.")

    rubric = rubric_selectors.rubric_for_work(work)
    if rubric is not None:
        rubric_services.assessment_record(
            revision=r1,
            scorer=mentor,
            kind=Assessment.Kind.MENTOR,
            scores=_scores(rubric_selectors.rubric_criteria(rubric), quality=2.4, seed=r1.pk),
            feedback="Solid direction. Back every claim with a measurement; see my comments beside the text.",
            decision=Assessment.Decision.REQUEST_CHANGES,
            now=now - datetime.timedelta(days=2),
        )
    else:
        submission_services.work_request_changes(work=work, revision=r1, by=mentor)
    work.refresh_from_db()

    services.thread_mark_addressed(
        thread=outdated, by=student, note="Replaced the claim with the trace: 61 % of the time in 51 queries."
    )
    if peer_thread is not None:
        services.thread_mark_addressed(thread=peer_thread, by=student, note="Five runs, median shown.")
    services.thread_resolve(thread=resolved, by=mentor)
    content = _draft(CONCEPT_R2)
    content["revision_note"] = "Backed the ORM claim with a trace; said how many k6 runs."
    submission_services.work_save_draft(work=work, content=content, expected_version=work.draft_version, by=student)
    r2 = submission_services.work_submit(work=work, by=student, now=now - datetime.timedelta(hours=20))
    # The submit's carry task runs once this commits; carrying now shows the demo at once
    # (the task then finds nothing left to carry).
    services.threads_carry(revision=r2)
    demo.write(
        f"Comment threads: {Thread.objects.filter(work=work).count()} on {work.target_label} of "
        f"{student.display_name} (open, replied, addressed in r2, resolved, outdated; one by an anonymous peer); "
        "revision 2 waits in the mentor's queue."
    )
