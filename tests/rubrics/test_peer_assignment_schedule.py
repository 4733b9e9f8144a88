"""Peer reviewers are assigned on submit and by the scheduled sweep, never by a page view or
an API GET; the sweep is one bulk operation however many revisions wait."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from cohorts.models import Membership
from courseplatform.celery import app
from rubrics.models import PeerAssignment
from rubrics.services import peer_assignments_ensure
from rubrics.tasks import assign_missing_peer_reviewers
from tests.factories import MembershipFactory

from .conftest import submit

pytestmark = pytest.mark.django_db


def _students(cohort, count):
    return [MembershipFactory(cohort=cohort, role=Membership.Role.STUDENT).user for _ in range(count)]


def test_peer_queue_page_and_api_list_assign_nobody(people, rubric, client_for):
    revision = submit(people.student, people.cohort)  # its task is queued, not run (no worker here)
    assert not PeerAssignment.objects.exists()
    client = client_for(people.other_student)
    assert client.get(reverse("rubrics:peer_queue")).status_code == 200
    assert client.get("/api/v1/review/peer/").status_code == 200
    assert PeerAssignment.objects.count() == 0
    # The schedule's sweep is what catches it.
    assign_missing_peer_reviewers()
    assert list(PeerAssignment.objects.filter(revision=revision).values_list("reviewer_id", flat=True)) == [
        people.other_student.pk
    ]


def test_sweep_fills_every_cohort_in_a_fixed_number_of_queries(people, rubric, django_assert_num_queries):
    here = [people.student, people.other_student, *_students(people.cohort, 3)]
    there = [people.foreign_student, *_students(people.other_cohort, 3)]
    first = [submit(s, people.cohort, 1) for s in here[:2]] + [submit(there[0], people.other_cohort, 1)]
    # 1 cohorts with peer review and their windows; 2 savepoint; 3 revisions still lacking
    # reviewers, 4 lock their works, 5 their assignments so far, 6 the cohorts' students, 7 the
    # reviewers' loads, 8 one insert; 9 release the savepoint.
    with django_assert_num_queries(9):
        assert peer_assignments_ensure() == 3
    more = [submit(s, people.cohort, 2) for s in here] + [submit(s, people.other_cohort, 2) for s in there]
    with django_assert_num_queries(9):  # 9 revisions, still the same queries
        assert peer_assignments_ensure() == len(more)
    for revision in first + more:
        reviewers = list(PeerAssignment.objects.filter(revision=revision).values_list("reviewer_id", flat=True))
        cohort_students = {s.pk for s in (here if revision.work.cohort_id == people.cohort.pk else there)}
        assert len(reviewers) == 2 == len(set(reviewers))
        assert revision.work.student_id not in reviewers and set(reviewers) <= cohort_students
    with django_assert_num_queries(4):  # nothing left: windows, savepoint, an empty list, release
        assert peer_assignments_ensure() == 0


def test_sweep_balances_the_load_within_one_batch(people, rubric):
    """Loads chosen earlier in the same batch count: twelve revisions at once spread their 24
    reviews as evenly as one at a time would (the bound the property test in
    test_peer_review.py proves for the greedy choice)."""
    students = [people.student, people.other_student, *_students(people.cohort, 10)]
    for student in students:
        submit(student, people.cohort)
    assert peer_assignments_ensure() == len(students)
    loads = [PeerAssignment.objects.filter(reviewer=s).count() for s in students]
    assert sum(loads) == 2 * len(students)
    assert max(loads) - min(loads) <= 2


def test_sweep_skips_old_and_superseded_revisions(people, rubric):
    _students(people.cohort, 2)
    old = submit(people.student, people.cohort, 1, now=timezone.now() - datetime.timedelta(days=30))
    superseded = submit(people.other_student, people.cohort, 2)
    work = superseded.work
    work.state = work.State.CHANGES_REQUESTED
    work.save(update_fields=["state"])
    current = submit(people.other_student, people.cohort, 2)
    assert peer_assignments_ensure() == 1
    assert not PeerAssignment.objects.filter(revision__in=[old, superseded]).exists()
    assert PeerAssignment.objects.filter(revision=current).count() == 2


def test_assign_now_is_limited_to_its_cohort(people, rubric):
    mine = submit(people.student, people.cohort)
    theirs = submit(people.foreign_student, people.other_cohort)
    _students(people.other_cohort, 1)
    assert peer_assignments_ensure(cohort=people.cohort) == 1
    assert PeerAssignment.objects.filter(revision=mine).exists()
    assert not PeerAssignment.objects.filter(revision=theirs).exists()


def test_setup_schedules_registers_the_sweep_with_celery(db):
    call_command("setup_schedules", stdout=io.StringIO())
    task = PeriodicTask.objects.get(name="Assign missing peer reviewers")
    assert task.task == "rubrics.assign_missing_peer_reviewers" in app.tasks
    assert task.interval.every == 30 and task.enabled
