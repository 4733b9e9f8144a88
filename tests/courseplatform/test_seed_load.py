"""seed_load: a small cohort (20 students × 4 weeks) checked for its state mix and for being
data the rest of the app reads as its own (the gradebook and report selectors, the visibility
rule, the models' own validation)."""

import datetime
import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max

from accounts.models import User
from cohorts.models import Cohort, Membership, MentorAssignment
from cohorts.schedule import week_window
from courseplatform.loadgen import LOAD_EMAIL_DOMAIN, MIX_OPEN_WEEK, MIX_RECENT, MIX_SETTLED, allocate
from portfolios.models import Portfolio, PortfolioEntry, PortfolioEntryArtifact
from reports import selectors as report_selectors
from rubrics.models import Assessment, CriterionObjective, CriterionScore, ObjectiveJudgement
from rubrics.selectors import gradebook_columns, gradebook_rows, mastery_rule_for
from rubrics.services import weighted_score
from submissions.models import Artifact, Retrospective, Revision, RevisionArtifact, RiskEntry, WeeklyWork
from tests.factories import MembershipFactory, UserFactory

START = datetime.date(2026, 1, 5)  # a Monday; week 4 (the open week) runs 26 Jan – 1 Feb
STUDENTS, WEEKS = 20, 4
# seed_load writes with PostgreSQL's COPY and refuses SQLite by design.
pytestmark = pytest.mark.postgresql


def load(*extra: str) -> None:
    call_command(
        "seed_load",
        f"--students={STUDENTS}",
        f"--weeks={WEEKS}",
        "--cohort=load-test",
        f"--start-date={START}",
        *extra,
        stdout=io.StringIO(),
    )


@pytest.fixture
def loaded(course) -> Cohort:
    load()
    return Cohort.objects.get(slug="load-test")


def test_every_week_has_its_mix_of_states(loaded):
    works = WeeklyWork.objects.filter(cohort=loaded)
    by_week = {n: Counter() for n in range(1, WEEKS + 1)}
    for number, state, revisions in works.annotate(n=Count("revisions")).values_list("week__number", "state", "n"):
        by_week[number][(state, revisions)] += 1
    # Week 1 is long settled: the settled mix, exactly (largest remainder of 20 students).
    missing, draft, submitted, changes, resubmitted, accepted, accepted_later = allocate(STUDENTS, MIX_SETTLED)
    assert by_week[1] == {
        ("draft", 0): draft,
        ("submitted", 1): submitted,
        ("changes_requested", 1): changes,
        ("resubmitted", 2): resubmitted,
        ("accepted", 1): accepted,
        ("accepted", 2): accepted_later,
    }
    assert sum(by_week[1].values()) == STUDENTS - missing
    recent = allocate(STUDENTS, MIX_RECENT)
    assert sum(by_week[3].values()) == STUDENTS - recent[0]
    assert by_week[3][("submitted", 1)] == recent[2]
    # The open week: drafts and fresh submissions only.
    open_week = allocate(STUDENTS, MIX_OPEN_WEEK)
    assert by_week[4] == {("draft", 0): open_week[1], ("submitted", 1): open_week[2]}
    # Late first submissions exist, and only in weeks already past.
    late = Revision.objects.filter(work__cohort=loaded, number=1, is_late=True)
    assert late.exists()
    assert not late.filter(work__week__number=WEEKS).exists()
    for revision in late.select_related("work__week")[:5]:
        assert revision.submitted_at > week_window(loaded, revision.work.week.number).due_at


def test_works_revisions_and_assessments_agree(loaded):
    works = WeeklyWork.objects.filter(cohort=loaded)
    for work in works.annotate(last=Max("revisions__number")).select_related("latest_revision"):
        if work.last is None:
            assert work.latest_revision is None and work.state == "draft"
            continue
        assert work.latest_revision.number == work.last  # set by the UPDATE … FROM
        decisions = list(
            Assessment.objects.filter(revision__work=work).order_by("submitted_at").values_list("decision", "revision")
        )
        expected_last = {
            "submitted": None,
            "changes_requested": "request_changes",
            "resubmitted": None,
            "accepted": "accept",
        }[work.state]
        on_latest = [d for d, revision in decisions if revision == work.latest_revision_id]
        assert (on_latest[-1] if on_latest else None) == expected_last
        assert RevisionArtifact.objects.filter(revision__work=work).count() == work.last
    # Each score is the rubric's weighted score of its levels, one level per criterion.
    for assessment in Assessment.objects.filter(revision__work__cohort=loaded).select_related("rubric")[:40]:
        criteria = {c.pk: c for c in assessment.rubric.criteria.prefetch_related("levels")}
        scores = list(CriterionScore.objects.filter(assessment=assessment).select_related("level"))
        assert {s.criterion_id for s in scores} == set(criteria)
        assert assessment.score == weighted_score(
            (
                criteria[s.criterion_id].weight,
                s.level.points,
                max(lv.points for lv in criteria[s.criterion_id].levels.all()),
            )
            for s in scores
        )
        assert assessment.scorer_id in MentorAssignment.objects.filter(cohort=loaded).values_list("mentor", flat=True)
    assert Assessment.objects.filter(revision__work__cohort=loaded).first().rubric.is_frozen
    # Acceptances judge the week's outcome objectives by the cohort's rule, as assessment_record does.
    judgements = ObjectiveJudgement.objects.filter(work__cohort=loaded)
    assert judgements.exists()
    assert not judgements.exclude(assessment__decision="accept").exists()
    assert judgements.filter(met=False).exists() and judgements.filter(met=True).exists()
    rule = mastery_rule_for(loaded)
    for judgement in judgements.select_related("assessment")[:20]:
        links = CriterionObjective.objects.filter(
            objective=judgement.objective, criterion__rubric=judgement.assessment.rubric
        )
        points = list(
            CriterionScore.objects.filter(
                assessment=judgement.assessment, criterion__in=links.values("criterion")
            ).values_list("level__points", flat=True)
        )
        assert judgement.met == judgement.derived_met == rule.judge(points)


def test_rows_pass_the_models_own_validation(loaded):
    samples = [
        User.objects.filter(email__endswith=f"@{LOAD_EMAIL_DOMAIN}").first(),
        Membership.objects.filter(cohort=loaded).last(),
        MentorAssignment.objects.filter(cohort=loaded).first(),
        WeeklyWork.objects.filter(cohort=loaded, state="accepted").first(),
        Artifact.objects.filter(work__cohort=loaded).first(),
        RiskEntry.objects.filter(cohort=loaded, status="closed").first(),
        Retrospective.objects.filter(cohort=loaded).first(),
        Portfolio.objects.filter(user__memberships__cohort=loaded).first(),
        PortfolioEntry.objects.filter(work__cohort=loaded).first(),
        PortfolioEntryArtifact.objects.filter(entry__work__cohort=loaded).first(),
    ]
    for instance in samples:
        assert instance is not None
        instance.full_clean()


def test_the_gradebook_reads_the_load(loaded):
    # The day after week 3 was due: weeks 1–3 past, week 4 open.
    now = week_window(loaded, 3).due_at + datetime.timedelta(days=1)
    students = list(User.objects.filter(memberships__cohort=loaded, memberships__role="student").order_by("pk"))
    columns = gradebook_columns(loaded)
    rows = gradebook_rows(loaded, students, columns, now)
    assert len(rows) == STUDENTS
    labels = Counter(cell.status.key for row in rows for cell in row.cells[:WEEKS])
    settled, recent, open_week = (
        allocate(STUDENTS, MIX_SETTLED),
        allocate(STUDENTS, MIX_RECENT),
        allocate(STUDENTS, MIX_OPEN_WEEK),
    )
    # Past due with nothing submitted (no work, or a draft) is Missing; the open week's drafts are Drafts.
    assert labels["missing"] == settled[0] + settled[1] + 2 * (recent[0] + recent[1])
    assert labels["draft"] == open_week[1]
    assert labels["not_started"] == open_week[0]
    assert labels["published"] > 0
    scored = [cell for row in rows for cell in row.cells if cell.status.key in ("accepted", "published")]
    assert scored and all(cell.score is not None for cell in scored)


def test_the_report_selectors_read_the_load(loaded):
    now = week_window(loaded, 3).due_at + datetime.timedelta(days=1)
    frame = report_selectors.course_frame(loaded, now)
    ids = report_selectors.student_ids(loaded)
    assert len(ids) == STUDENTS
    facts = report_selectors.student_chunk(frame, ids)
    assert sum(f.open_risks for f in facts) == RiskEntry.objects.filter(cohort=loaded, status="open").count()
    assert sum(f.retrospectives_done for f in facts) == Retrospective.objects.filter(cohort=loaded).done().count()
    assert 0 < Retrospective.objects.filter(cohort=loaded).done().count() < Retrospective.objects.count()
    assert sum(f.portfolio_entries for f in facts) == PortfolioEntry.objects.filter(work__cohort=loaded).count() > 0
    assert all(f.mentors for f in facts)


def test_the_mentor_sees_their_students_work(loaded):
    mentor = User.objects.get(email=f"load-test-mentor-0000@{LOAD_EMAIL_DOMAIN}")
    assert WeeklyWork.objects.visible_to(mentor).count() == WeeklyWork.objects.filter(cohort=loaded).count()
    assert Membership.objects.is_instructor(
        user=User.objects.get(email=f"load-test-instructor@{LOAD_EMAIL_DOMAIN}"), cohort=loaded
    )


def test_an_existing_cohort_is_kept_unless_replace(loaded):
    first_ids = set(WeeklyWork.objects.filter(cohort=loaded).values_list("pk", flat=True))
    with pytest.raises(CommandError, match="exists already; pass --replace"):
        load()
    assert set(WeeklyWork.objects.filter(cohort=loaded).values_list("pk", flat=True)) == first_ids
    load("--replace")
    cohort = Cohort.objects.get(slug="load-test")
    assert cohort.pk != loaded.pk
    assert not WeeklyWork.objects.filter(pk__in=first_ids).exists()
    assert WeeklyWork.objects.filter(cohort=cohort).count() == len(first_ids)  # same seed, same mix
    assert User.objects.filter(email__endswith=f"@{LOAD_EMAIL_DOMAIN}").count() == STUDENTS + 2


def test_replace_refuses_a_cohort_with_real_people(loaded):
    MembershipFactory(cohort=loaded, user=UserFactory(email="real.person@example.com"), role="student")
    with pytest.raises(CommandError, match="members that seed_load did not create"):
        load("--replace")
    assert User.objects.filter(email="real.person@example.com").exists()


@pytest.mark.parametrize("arguments", [["--students=0"], ["--students=5", "--weeks=25"]])
def test_bad_numbers_are_refused(course, arguments):
    with pytest.raises(CommandError):
        call_command("seed_load", *arguments, "--cohort=bad", stdout=io.StringIO())
    assert not Cohort.objects.filter(slug="bad").exists()
