import datetime

import factory
from django.utils import timezone

from core.models import QueuedTask, TaskRun

__all__ = ["QueuedTaskFactory", "TaskRunFactory"]


class QueuedTaskFactory(factory.django.DjangoModelFactory):
    """A task kept in the outbox because the broker was down when it was enqueued
    (core.queue.enqueue), waiting for dispatch_outbox."""

    class Meta:
        model = QueuedTask

    task_name = "rubrics.assign_peer_reviewers"
    args = factory.Sequence(lambda n: [n + 1])
    kwargs = factory.LazyFunction(dict)
    status = QueuedTask.Status.PENDING
    attempts = 1
    last_error = "OperationalError: Error 111 connecting to 127.0.0.1:6379. Connection refused."


class TaskRunFactory(factory.django.DjangoModelFactory):
    """A task run (core.tasks.DurableTask) delivered once and finished successfully."""

    class Meta:
        model = TaskRun

    task_id = factory.Faker("uuid4")
    task_name = "reports.build_report"
    args = factory.Sequence(lambda n: [n + 1])
    kwargs = factory.LazyFunction(dict)
    status = TaskRun.Status.SUCCEEDED
    deliveries = 1
    lost_deliveries = 0
    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(seconds=4))
    finished_at = factory.LazyAttribute(lambda o: o.started_at + datetime.timedelta(seconds=3))
