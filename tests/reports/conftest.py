"""Known data for the report tests: the `people` cohort moved so that weeks 1–4 are past
due and week 5 is open today, with work in several states for student and other_student."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from portfolios.models import PortfolioEntry
from submissions.models import Artifact, RiskEntry, WeeklyWork
from tests.factories import PortfolioFactory, RetrospectiveFactory, RiskEntryFactory, reviewed_work


@pytest.fixture
def known(people, course):
    cohort = people.cohort
    cohort.start_date = timezone.localdate() - datetime.timedelta(days=31)
    cohort.save(update_fields=["start_date"])
    weeks = {w.number: w for w in course.weeks.select_related("lab").order_by("number")}
    s, o = people.student, people.other_student
    w1 = reviewed_work(cohort=cohort, student=s, week=weeks[1], state=WeeklyWork.State.ACCEPTED, score="85")
    evidence = weeks[1].lab.evidence_list
    Artifact.objects.create(
        work=w1,
        kind=Artifact.Kind.LINK,
        url="https://example.com/load-test",
        proves="p99 under budget",
        evidence_item=evidence[0],
        uploaded_by=s,
    )
    reviewed_work(
        cohort=cohort,
        student=s,
        week=weeks[2],
        state=WeeklyWork.State.CHANGES_REQUESTED,
        revisions=2,
        score="40",
        late=True,
    )
    WeeklyWork.objects.create(cohort=cohort, student=s, week=weeks[4])  # a draft, never submitted
    for number in (1, 2, 3, 4):
        work = reviewed_work(cohort=cohort, student=o, week=weeks[number], state=WeeklyWork.State.ACCEPTED, score="90")
        RetrospectiveFactory(cohort=cohort, student=o, week=weeks[number])  # on track: nothing at risk
    RiskEntryFactory(cohort=cohort, student=s, title="Cache stampede on cold start")
    RiskEntryFactory(cohort=cohort, student=s, title="Unbounded retry storm", week_opened=weeks[2])
    RiskEntryFactory(
        cohort=cohort,
        student=s,
        title="Slow count query",
        status=RiskEntry.Status.CLOSED,
        week_closed=weeks[2],
        resolution="Added a covering index.",
    )
    RetrospectiveFactory(cohort=cohort, student=s, week=weeks[1])
    RetrospectiveFactory(cohort=cohort, student=s, week=weeks[2], improve="  ")
    portfolio = PortfolioFactory(user=o)
    first = o.weekly_works.get(week=weeks[1])
    PortfolioEntry.objects.create(
        portfolio=portfolio,
        work=first,
        revision=first.latest_revision,
        title="Week 1",
        week_number=1,
        narrative="Measured first.",
        revision_number=1,
        published_at=timezone.now(),
    )
    last = work
    PortfolioEntry.objects.create(
        portfolio=portfolio,
        work=last,
        revision=last.latest_revision,
        title="Week 4",
        week_number=4,
        narrative="Withdrawn.",
        revision_number=1,
        published_at=timezone.now(),
        unpublished_at=timezone.now(),
    )
    return SimpleNamespace(people=people, cohort=cohort, weeks=weeks, evidence=evidence)
