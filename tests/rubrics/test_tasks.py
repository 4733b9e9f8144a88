"""The background task that assigns peer reviewers when a revision is submitted."""

import pytest
from django.db import transaction

from core.queue import enqueue
from rubrics.models import PeerAssignment
from rubrics.tasks import assign_peer_reviewers

from .conftest import submit

pytestmark = pytest.mark.django_db(transaction=True)


def test_task_assigns_reviewers_once_however_often_it_runs(people, rubric):
    revision = submit(people.student, people.cohort)
    assign_peer_reviewers(revision.pk)
    assign_peer_reviewers(revision.pk)
    assert list(PeerAssignment.objects.values_list("reviewer_id", flat=True)) == [people.other_student.pk]


@pytest.fixture
def eager():
    """Run enqueued tasks in-process, as the embedded default does (with REDIS_URL set the
    task would wait for a worker)."""
    from courseplatform.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


def test_submitting_assigns_peer_reviewers_once_the_transaction_commits(people, rubric, eager):
    with transaction.atomic():
        revision = submit(people.student, people.cohort)  # work_submit enqueues the assignment
        assert not PeerAssignment.objects.exists()
    assert list(PeerAssignment.objects.filter(revision=revision).values_list("reviewer_id", flat=True)) == [
        people.other_student.pk
    ]


def test_enqueueing_again_adds_nothing(people, rubric, eager):
    revision = submit(people.student, people.cohort)
    enqueue(assign_peer_reviewers, revision.pk)
    assert PeerAssignment.objects.filter(revision=revision).count() == 1


def test_task_ignores_a_revision_that_does_not_exist(db):
    assign_peer_reviewers(987654)
    assert not PeerAssignment.objects.exists()
