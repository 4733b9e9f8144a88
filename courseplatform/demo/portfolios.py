"""Demo portfolios: one learner with a public portfolio (several weeks and a capstone
deliverable), another with an unlisted one. Entries are published from work the mentor
really accepted (submissions.demo makes most of it; a capstone deliverable is taken through
submit → accept here). Idempotent: a learner who already has a portfolio is left alone."""

from django.core.files.uploadedfile import SimpleUploadedFile

from courseplatform.demo import DemoContext
from curriculum.models import CapstoneDeliverable
from portfolios import services
from portfolios.models import Portfolio
from submissions import services as work_services
from submissions.models import WeeklyWork

PUBLIC = {
    "slug": "priya-backend",
    "headline": "Backend engineer: latency budgets, queues and capacity plans",
    "bio": (
        "I spent 24 weeks taking a slow monolith apart and putting it back together so it holds "
        "**10× the traffic at the same p95**. I measure first, write the decision down, and "
        "keep the trade-offs visible to the people who pay for them.\n\n"
        "Looking for a backend role on a team that runs what it builds."
    ),
    "links": [
        {"label": "GitHub", "url": "https://github.com/priya-demo"},
        {"label": "Blog: what I learned load-testing a checkout", "url": "https://example.com/priya/checkout"},
    ],
}
UNLISTED = {
    "slug": "sam-builds",
    "headline": "Career changer: from QA automation to backend engineering",
    "bio": "Ten years of breaking other people's systems; now I build ones that are hard to break.",
    "links": [{"label": "GitHub", "url": "https://github.com/sam-demo"}],
}
NARRATIVES = [
    (
        "**Problem.** Product pages took 480 ms at p95 and nobody could say where the time went.\n\n"
        "**What I did.** Traced 20 requests end to end, attributed latency per hop and found the ORM "
        "issuing 31 queries per page. I chose a prefetch over a cache: fewer moving parts, no staleness.\n\n"
        "**Result.** p95 down to 140 ms at 200 req/s, verified with the k6 summary below."
    ),
    (
        "**Problem.** The public API returned inconsistent errors and leaked internal ids in cursors.\n\n"
        "**What I did.** Wrote a decision record comparing offset, keyset and opaque cursors, picked "
        "opaque keyset cursors, and added contract tests for every error shape.\n\n"
        "**Result.** 48 contract tests green; zero breaking changes for the two existing clients."
    ),
    (
        "**Problem.** Writes blocked reads during the nightly import.\n\n"
        "**What I did.** Measured lock waits, moved the import to batched upserts behind a queue "
        "and set a latency budget for each endpoint touched.\n\n"
        "**Result.** No read above 200 ms during the import window; the queue drains in 11 minutes."
    ),
]
CAPSTONE_NARRATIVE = (
    "**The brief.** Design the checkout service for a 10× traffic event without rewriting the monolith.\n\n"
    "**My decision.** Strangle the checkout path behind an internal API, keep the database, and add an "
    "idempotent order queue. I rejected a full microservice split: three teams, one database, and a "
    "deadline made it the riskier option.\n\n"
    "**Evidence.** The capacity plan and load-test summary below; the design review is linked."
)


def _accepted(demo: DemoContext, student) -> list[WeeklyWork]:
    return list(
        WeeklyWork.objects.filter(
            student=student, cohort=demo.cohort, state=WeeklyWork.State.ACCEPTED, week__isnull=False
        )
        .select_related("week", "latest_revision")
        .order_by("week__number")
    )


def _accept_new(demo: DemoContext, student, mentor, *, week=None, deliverable=None, text: str) -> WeeklyWork:
    """Take one work through the real workflow: evidence, draft, submit, mentor accepts."""
    work = work_services.work_get_or_create(student=student, cohort=demo.cohort, week=week, deliverable=deliverable)
    if work.state != WeeklyWork.State.DRAFT:
        return work
    body = f"capacity plan: {text}\npeak: 2000 req/s\np95 budget: 200 ms\nheadroom: 35%\n".encode()
    work_services.artifact_upload(
        work=work,
        upload=SimpleUploadedFile("capacity-plan.txt", body),
        proves="Capacity and latency budget for the 10x event",
        by=student,
    )
    work_services.artifact_add_link(
        work=work, url="https://example.com/design-review/checkout", proves="Design review notes", by=student
    )
    content = {
        "deliverable": {"text": text},
        "decision": {
            "options": "A: strangle the checkout path. B: full service split.",
            "tradeoffs": "A keeps one database; B isolates failures but costs a quarter.",
            "risks": "Queue backlog during the event.",
            "decision_points": "Revisit if checkout exceeds 3000 req/s.",
            "decision": "A: strangle behind an internal API with an idempotent order queue.",
            "rationale": "Lowest risk for the deadline with measurable headroom.",
        },
    }
    work_services.work_save_draft(work=work, content=content, expected_version=work.draft_version, by=student)
    revision = work_services.work_submit(work=work, by=student, now=demo.now)
    work_services.work_accept(work=work, revision=revision, by=mentor)
    work.refresh_from_db()
    return work


def _publish_all(demo: DemoContext, student, works: list[WeeklyWork], narratives: list[str]) -> None:
    for index, work in enumerate(works):
        ids = list(work.latest_revision.artifacts.values_list("pk", flat=True))
        services.entry_publish(
            work=work, by=student, narrative=narratives[index % len(narratives)], artifact_ids=ids, now=demo.now
        )


def _profile(student, spec: dict, visibility: str) -> Portfolio:
    portfolio = services.portfolio_ensure(user=student)
    return services.portfolio_update_profile(
        portfolio=portfolio,
        slug=spec["slug"],
        display_name=student.display_name,
        headline=spec["headline"],
        bio=spec["bio"],
        links=spec["links"],
        visibility=visibility,
        show_scores=True,
    )


def seed(demo: DemoContext) -> None:
    public_student, unlisted_student = demo.students[2], demo.students[0]
    mentor = demo.mentors[0]  # mentors students 0–2

    if not Portfolio.objects.filter(user=public_student).exists():
        weeks = _accepted(demo, public_student)
        if len(weeks) < 3:
            taken = set(
                WeeklyWork.objects.filter(student=public_student, cohort=demo.cohort).values_list(
                    "week__number", flat=True
                )
            )
            for week in demo.course.weeks.exclude(number__in=[n for n in taken if n]).order_by("number")[
                : 3 - len(weeks)
            ]:
                _accept_new(demo, public_student, mentor, week=week, text=f"Week {week.number} write-up")
            weeks = _accepted(demo, public_student)
        deliverable = (
            CapstoneDeliverable.objects.filter(project__course=demo.course).order_by("project__number", "order").first()
        )
        capstone = _accept_new(
            demo,
            public_student,
            mentor,
            deliverable=deliverable,
            text="Checkout capacity plan and strangler design for the 10x event.",
        )
        _profile(public_student, PUBLIC, Portfolio.Visibility.PUBLIC)
        _publish_all(demo, public_student, weeks, [n for n in NARRATIVES])
        if capstone.state == WeeklyWork.State.ACCEPTED:
            _publish_all(demo, public_student, [capstone], [CAPSTONE_NARRATIVE])
        demo.write(f"  Public portfolio: /p/{PUBLIC['slug']}/ ({public_student.email})")

    if not Portfolio.objects.filter(user=unlisted_student).exists():
        weeks = _accepted(demo, unlisted_student)[:2]
        _profile(unlisted_student, UNLISTED, Portfolio.Visibility.UNLISTED)
        _publish_all(demo, unlisted_student, weeks, NARRATIVES[1:])
        demo.write(f"  Unlisted portfolio: /p/{UNLISTED['slug']}/ ({unlisted_student.email})")
