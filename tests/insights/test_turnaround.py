"""Review turnaround: median and 90th percentile from submission to a mentor's decision,
per reviewer and for the cohort, over the decisions made in a period; figures worked out by
hand (percentile_cont interpolates between the two nearest ranks)."""

import datetime

import pytest

from cohorts.models import Membership
from insights.selectors import (
    duration_text,
    mentor_decisions,
    percentile,
    review_turnaround,
    turnaround_by_reviewer_python,
    turnaround_by_reviewer_sql,
)
from rubrics.models import Assessment
from tests.factories import AssessmentFactory, MembershipFactory, MentorAssignmentFactory

from .conftest import on_time, score, submit

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)
START, END = datetime.date(2026, 9, 7), datetime.date(2026, 10, 4)


@pytest.fixture
def decisions(people, rubric):
    """The assigned mentor decides four weeks of the student after 2, 10, 30 and 80 hours;
    a second mentor decides two weeks of the other student after 4 and 100 hours. Left out:
    a decision after the period, a peer review and a self-assessment."""
    cohort = people.cohort
    second = MembershipFactory(cohort=cohort, role=Membership.Role.MENTOR, user__name="Second Mentor").user
    MentorAssignmentFactory(cohort=cohort, mentor=second, student=people.other_student)
    for number, hours in ((1, 2), (2, 10), (3, 30), (4, 80)):
        revision = submit(people.student, cohort, number)
        score(revision, people.mentor, 3, at=revision.submitted_at + hours * H, decision="request_changes")
    for number, hours in ((1, 4), (2, 100)):
        revision = submit(people.other_student, cohort, number)
        score(revision, second, 3, at=revision.submitted_at + hours * H)
    late = submit(people.student, cohort, 5, at=on_time(cohort, 5))
    score(late, people.mentor, 3, at=datetime.datetime(2026, 10, 5, 12, tzinfo=datetime.UTC))
    peer_reviewed = submit(people.other_student, cohort, 3)
    AssessmentFactory(revision=peer_reviewed, kind=Assessment.Kind.PEER, submitted_at=peer_reviewed.submitted_at + H)
    return second


def test_percentile_interpolates_like_percentile_cont():
    hours = [2 * H, 10 * H, 30 * H, 80 * H]
    assert percentile(hours, 0.5) == 20 * H  # halfway between 10 and 30
    assert percentile(hours, 0.9) == 65 * H  # rank 2.7: 30 + 0.7 × 50
    assert percentile([4 * H], 0.9) == 4 * H
    assert percentile([], 0.5) is None


def test_turnaround_per_reviewer_and_for_the_cohort(people, decisions):
    report = review_turnaround(people.cohort, start=START, end=END)
    assert report.deadline == 72 * H
    # All six: 2, 4, 10, 30, 80, 100 hours. Median: (10 + 30) / 2; p90: rank 4.5, 80 + 0.5 × 20.
    assert (report.overall.decisions, report.overall.median, report.overall.p90) == (6, 20 * H, 90 * H)
    assert (report.overall.within_deadline, report.overall.within_percent) == (4, 67)
    assert report.overall.p90_over_deadline
    mentor, second = report.reviewers  # by median: 20 h before 52 h
    assert mentor.reviewer == people.mentor and second.reviewer == decisions
    assert (mentor.decisions, mentor.median, mentor.p90, mentor.within_deadline) == (4, 20 * H, 65 * H, 3)
    assert not mentor.p90_over_deadline
    # 4 and 100 hours: median 52; p90 at rank 0.9, 4 + 0.9 × 96 = 90.4 hours.
    assert (second.decisions, second.median, second.p90, second.within_deadline) == (
        2,
        52 * H,
        datetime.timedelta(hours=90, minutes=24),
        1,
    )
    assert second.within_percent == 50


def test_postgresql_and_the_portable_fallback_agree(people, decisions):
    found = mentor_decisions(people.cohort, START, END)
    deadline = 72 * H
    assert turnaround_by_reviewer_sql(found, deadline) == turnaround_by_reviewer_python(found, deadline)


def test_the_period_counts_decisions_by_the_day_they_were_made_in_the_cohorts_zone(people, decisions):
    # The late decision came on 5 October (14:00 in Berlin): included from that day on.
    assert review_turnaround(people.cohort, start=START, end=datetime.date(2026, 10, 5)).overall.decisions == 7
    assert review_turnaround(people.cohort, start=datetime.date(2026, 10, 6), end=END).overall.decisions == 0


def test_narrowing_to_one_reviewer_keeps_the_cohorts_figures(people, decisions):
    report = review_turnaround(people.cohort, start=START, end=END, reviewer_ids=[decisions.pk])
    assert [row.reviewer for row in report.reviewers] == [decisions]
    assert report.overall.decisions == 6


def test_a_period_without_decisions_has_no_figures(people):
    report = review_turnaround(people.cohort, start=START, end=END)
    assert (report.overall.decisions, report.overall.median, report.overall.p90) == (0, None, None)
    assert report.overall.within_percent is None and report.reviewers == []


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "–"),
        (45 * datetime.timedelta(minutes=1), "45 min"),
        (20 * H, "20 h"),
        (datetime.timedelta(hours=5, minutes=30), "5 h 30 min"),
        (65 * H, "2 d 17 h"),
        (datetime.timedelta(hours=90, minutes=24), "3 d 18 h"),
    ],
)
def test_durations_read_as_days_hours_and_minutes(value, text):
    assert duration_text(value) == text
