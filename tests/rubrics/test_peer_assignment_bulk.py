"""Peer assignment for a whole backlog at once (the schedule's sweep, an instructor's "assign
now"): hundreds of revisions get their reviewers in the same few queries as nine, with every
guarantee of one-at-a-time assignment: never the author, never twice the same reviewer,
only classmates, the load balanced, the cohort's anonymity, and nothing assigned twice when
two sweeps run at once."""

import contextlib
import datetime
import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from cohorts.models import Membership
from rubrics.models import PeerAssignment
from rubrics.services import peer_assignments_ensure
from submissions.models import Revision, WeeklyWork
from tests.factories import CohortFactory

STUDENTS = 40
WEEKS = 8  # 320 revisions


def backlog(course, *, students: int = STUDENTS, weeks: int = WEEKS, anonymous: bool = True):
    """A cohort whose students each submitted `weeks` weeks within the peer review window and
    got no reviewers yet (as when the task after each submit could not run)."""
    cohort = CohortFactory(course=course, peer_reviewers_per_submission=2, peer_review_anonymous=anonymous)
    people = User.objects.bulk_create(
        [User(email=f"peer{cohort.pk}-{n}@example.com", name=f"Peer {n}", password="!") for n in range(students)]
    )
    Membership.objects.bulk_create([Membership(cohort=cohort, user=u, role=Membership.Role.STUDENT) for u in people])
    chosen_weeks = list(course.weeks.order_by("number")[:weeks])
    works = WeeklyWork.objects.bulk_create(
        [
            WeeklyWork(cohort=cohort, student=u, week=w, state=WeeklyWork.State.SUBMITTED)
            for u in people
            for w in chosen_weeks
        ],
        batch_size=2000,
    )
    moment = timezone.now() - datetime.timedelta(hours=1)
    revisions = Revision.objects.bulk_create(
        [
            Revision(work=w, number=1, content={}, submitted_at=moment, due_at=moment, submitted_by_id=w.student_id)
            for w in works
        ],
        batch_size=2000,
    )
    for work, revision in zip(works, revisions, strict=True):
        work.latest_revision = revision
    WeeklyWork.objects.bulk_update(works, ["latest_revision"], batch_size=2000)
    return cohort, people, revisions


def assert_fair(cohort, people, revisions):
    members = {u.pk for u in people}
    authors = {
        r.pk: r.work.student_id
        for r in Revision.objects.filter(pk__in=[r.pk for r in revisions]).select_related("work")
    }
    by_revision: dict[int, list[int]] = {r.pk: [] for r in revisions}
    for revision_id, reviewer_id, anonymous in PeerAssignment.objects.filter(revision_id__in=by_revision).values_list(
        "revision_id", "reviewer_id", "anonymous"
    ):
        by_revision[revision_id].append(reviewer_id)
        assert anonymous == cohort.peer_review_anonymous
    for revision_id, reviewers in by_revision.items():
        assert len(reviewers) == 2 == len(set(reviewers)), revision_id  # two, never the same twice
        assert authors[revision_id] not in reviewers  # never the author
        assert set(reviewers) <= members  # only classmates
    loads = Counter(reviewer for reviewers in by_revision.values() for reviewer in reviewers)
    assert sum(loads.values()) == 2 * len(revisions)
    # Everyone submits, and an author never reviews their own: the bound the property test in
    # test_peer_review.py proves for the greedy choice is a spread of two.
    assert max(loads.values()) - min(loads[pk] for pk in members) <= 2


@pytest.mark.django_db
def test_hundreds_of_revisions_get_fair_reviewers_in_the_queries_of_a_few(course, django_assert_num_queries):
    cohort, people, revisions = backlog(course)
    # 1 cohorts with peer review and their windows; 2 savepoint; 3 revisions still lacking
    # reviewers, 4 lock their works, 5 their assignments so far, 6 the cohorts' students, 7 the
    # reviewers' loads, 8 one insert; 9 release the savepoint: as for nine revisions
    # (tests/rubrics/test_peer_assignment_schedule.py).
    with django_assert_num_queries(9):
        assert peer_assignments_ensure() == len(revisions) == STUDENTS * WEEKS
    assert_fair(cohort, people, revisions)
    assert peer_assignments_ensure() == 0  # idempotent: nothing left to do
    assert PeerAssignment.objects.count() == 2 * len(revisions)


@pytest.mark.django_db
def test_an_open_cohort_gets_named_reviews(course):
    cohort, people, revisions = backlog(course, students=12, weeks=3, anonymous=False)
    assert peer_assignments_ensure() == len(revisions)
    assert_fair(cohort, people, revisions)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_assign_each_revision_once(course):
    cohort, people, revisions = backlog(course, students=20, weeks=4)
    barrier = threading.Barrier(2)
    done, errors = [], []
    # SQLite cannot hold two writers at once (it answers "table is locked" instead of waiting):
    # there the sweeps take turns and the second must find nothing left.
    turns = threading.Lock() if connection.vendor != "postgresql" else contextlib.nullcontext()

    def sweep():
        try:
            barrier.wait(timeout=30)
            with turns:
                done.append(peer_assignments_ensure())
        except Exception as exc:  # reported below, with the thread's own error
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(done) == len(revisions)
    assert_fair(cohort, people, revisions)
