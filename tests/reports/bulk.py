"""Large cohorts made with bulk_create, for the query-count test and the benchmark."""

import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort, Membership, MentorAssignment
from curriculum.models import Week
from rubrics.models import Assessment, Rubric
from submissions.models import Artifact, Retrospective, Revision, RiskEntry, WeeklyWork


def bulk_cohort(cohort: Cohort, students: int, *, mentor: User, prefix: str = "bulk", batch: int = 2000) -> None:
    """`students` students, each with work for every week: the first two thirds of the
    weeks accepted with a mentor score, then some awaiting review, the rest drafts; one
    evidence link, one open risk and one retrospective per week."""
    weeks = list(Week.objects.for_course(cohort.course).select_related("lab"))
    rubric, _ = Rubric.objects.get_or_create(family=f"{prefix}-rubric", version=1, defaults={"title": "Bulk rubric"})
    users = User.objects.bulk_create(
        [User(email=f"{prefix}{i:05d}@example.com", name=f"Student {i:05d}", password="!") for i in range(students)],
        batch_size=batch,
    )
    Membership.objects.bulk_create(
        [Membership(cohort=cohort, user=u, role=Membership.Role.STUDENT) for u in users], batch_size=batch
    )
    MentorAssignment.objects.bulk_create(
        [MentorAssignment(cohort=cohort, mentor=mentor, student=u) for u in users], batch_size=batch
    )
    now = timezone.now()
    accepted_until = len(weeks) * 2 // 3
    works = WeeklyWork.objects.bulk_create(
        [
            WeeklyWork(
                cohort=cohort,
                student=u,
                week=w,
                state=WeeklyWork.State.ACCEPTED
                if w.number <= accepted_until
                else (WeeklyWork.State.SUBMITTED if w.number <= accepted_until + 2 else WeeklyWork.State.DRAFT),
            )
            for u in users
            for w in weeks
        ],
        batch_size=batch,
    )
    submitted = [wk for wk in works if wk.state != WeeklyWork.State.DRAFT]
    revisions = Revision.objects.bulk_create(
        [
            Revision(
                work=wk,
                number=1,
                content={},
                submitted_at=now - datetime.timedelta(days=1),
                due_at=now,
                submitted_by_id=wk.student_id,
            )
            for wk in submitted
        ],
        batch_size=batch,
    )
    for wk, rev in zip(submitted, revisions, strict=True):
        wk.latest_revision = rev
    WeeklyWork.objects.bulk_update(submitted, ["latest_revision"], batch_size=batch)
    Assessment.objects.bulk_create(
        [
            Assessment(
                revision=rev,
                rubric=rubric,
                scorer=mentor,
                kind=Assessment.Kind.MENTOR,
                decision=Assessment.Decision.ACCEPT,
                score=Decimal(50 + (rev.pk % 50)),
                submitted_at=now,
            )
            for wk, rev in zip(submitted, revisions, strict=True)
            if wk.state == WeeklyWork.State.ACCEPTED
        ],
        batch_size=batch,
    )
    by_week = {w.pk: w for w in weeks}
    Artifact.objects.bulk_create(
        [
            Artifact(
                work=wk,
                kind=Artifact.Kind.LINK,
                url="https://example.com/evidence",
                proves="Load test",
                evidence_item=(by_week[wk.week_id].lab.evidence_list or [""])[0],
                uploaded_by_id=wk.student_id,
            )
            for wk in submitted
        ],
        batch_size=batch,
    )
    RiskEntry.objects.bulk_create(
        [
            RiskEntry(cohort=cohort, student=u, kind=RiskEntry.Kind.RISK, title="Hot partition", week_opened=weeks[0])
            for u in users
        ],
        batch_size=batch,
    )
    Retrospective.objects.bulk_create(
        [
            Retrospective(
                cohort=cohort, student=u, week=w, retain="Measure first", improve="Start earlier", scale="Budgets"
            )
            for u in users
            for w in weeks[:accepted_until]
        ],
        batch_size=batch,
    )
    if connection.vendor == "postgresql":
        # As after any bulk load (seed_load does the same): without statistics the planner takes
        # the new tables for empty. Every assessment here has the same submitted_at, and with no
        # statistics the latest-assessment anti-join probed every mentor assessment per work
        # (1.8 million loops, 2 s per gradebook page of 120 students); with them, 12 ms.
        tables = [model._meta.db_table for model in (User, Membership, MentorAssignment, WeeklyWork, Revision)]
        tables += [model._meta.db_table for model in (Assessment, Artifact, RiskEntry, Retrospective)]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(f'"{table}"' for table in tables))
