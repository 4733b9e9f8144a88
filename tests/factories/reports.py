import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from reports.models import ReportRun
from rubrics.models import Assessment
from submissions.models import Revision, WeeklyWork

__all__ = ["ReportRunFactory", "reviewed_work"]


class ReportRunFactory(factory.django.DjangoModelFactory):
    """A queued cohort progress report (CSV) requested by the given user."""

    class Meta:
        model = ReportRun

    kind = ReportRun.Kind.COHORT
    format = ReportRun.Format.CSV
    cohort = factory.SubFactory("tests.factories.cohorts.CohortFactory")
    student = None
    requested_by = factory.SubFactory("tests.factories.accounts.UserFactory")
    parameters = factory.LazyAttribute(
        lambda o: {"cohort_id": o.cohort.pk, "student_id": o.student.pk if o.student else None, "mentor_id": None}
    )


def reviewed_work(
    *,
    cohort,
    student,
    week=None,
    deliverable=None,
    state: str = WeeklyWork.State.ACCEPTED,
    revisions: int = 1,
    score: Decimal | str | None = None,
    scorer=None,
    rubric=None,
    late: bool = False,
    submitted_at: datetime.datetime | None = None,
    published: bool = False,
) -> WeeklyWork:
    """Test data: a work in `state` with `revisions` submitted revisions (the last one late
    when `late`) and, when `score` is given, a mentor assessment of the last revision."""
    submitted_at = submitted_at or timezone.now() - datetime.timedelta(days=1)
    work = WeeklyWork.objects.create(
        cohort=cohort,
        student=student,
        week=week,
        deliverable=deliverable,
        state=state,
        published_at=submitted_at if published else None,
    )
    revision = None
    for number in range(1, revisions + 1):
        revision = Revision.objects.create(
            work=work,
            number=number,
            content={},
            submitted_at=submitted_at + datetime.timedelta(hours=number),
            due_at=submitted_at,
            is_late=late and number == revisions,
            submitted_by=student,
        )
    if revision is not None:
        work.latest_revision = revision
        work.save(update_fields=["latest_revision"])
    if score is not None and revision is not None:
        from tests.factories.accounts import UserFactory
        from tests.factories.rubrics import RubricFactory

        Assessment.objects.create(
            revision=revision,
            rubric=rubric or RubricFactory(),
            scorer=scorer or UserFactory(),
            kind=Assessment.Kind.MENTOR,
            decision=Assessment.Decision.ACCEPT
            if state in (WeeklyWork.State.ACCEPTED,)
            else Assessment.Decision.REQUEST_CHANGES,
            score=Decimal(str(score)),
            submitted_at=revision.submitted_at + datetime.timedelta(hours=1),
        )
    return work
