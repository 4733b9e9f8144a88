"""core.queue.enqueue and the outbox, the Celery settings, and the beat schedule."""

import datetime
import io
import json
import time

import pytest
import redis
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from core.models import QueuedTask, TaskRun
from core.queue import dispatch_outbox, enqueue, publish
from core.tasks import cleanup_task_records
from courseplatform.celery import app
from notifications.models import Notification
from notifications.tasks import send_test_email
from tests.factories import UserFactory
from tests.workers import celery_publishing_to


def test_celery_is_configured_for_durability():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_ignore_result is True
    options = conf.broker_transport_options
    assert options["visibility_timeout"] > conf.task_time_limit > conf.task_soft_time_limit
    assert options["socket_connect_timeout"] <= 2


def test_tasks_are_acks_late_and_retry_transient_errors():
    assert send_test_email.acks_late and send_test_email.reject_on_worker_lost
    assert ConnectionError in send_test_email.autoretry_for
    assert send_test_email.retry_backoff and send_test_email.max_retries == 5


@pytest.mark.usefixtures("eager_tasks")
def test_enqueue_runs_the_task_in_process_after_commit_in_eager_mode(db, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(send_test_email, user.pk, "2026-09-14T08:00:00+00:00")
        assert not Notification.objects.exists()  # not before the commit
    assert Notification.objects.get(recipient=user).title == "Test message from the course platform"
    assert not TaskRun.objects.exists()  # eager runs are not tracked
    assert not QueuedTask.objects.exists()


@pytest.mark.usefixtures("eager_tasks")
def test_enqueue_in_a_rolled_back_transaction_sends_nothing(db, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue(send_test_email, user.pk, "2026-09-14T08:00:00+00:00")
            raise RuntimeError("the action failed")
    assert callbacks == []
    assert not Notification.objects.exists()


def test_broker_down_keeps_the_task_in_the_outbox_quickly(db, redis_server):  # noqa: F811
    user = UserFactory()
    with celery_publishing_to(redis_server.url):
        redis_server.stop()
        started = time.monotonic()
        assert publish("notifications.send_test_email", [user.pk, "a"], {}) is False
        assert publish("notifications.send_test_email", [user.pk, "b"], {}) is False
        assert time.monotonic() - started < 2.5
    kept = list(QueuedTask.objects.values_list("args", "status"))
    assert kept == [([user.pk, "a"], "pending"), ([user.pk, "b"], "pending")]
    assert "Connection" in QueuedTask.objects.first().last_error


def test_dispatch_outbox_waits_while_the_broker_is_down_and_sends_when_it_is_back(db, redis_server):  # noqa: F811
    with celery_publishing_to(redis_server.url):
        redis_server.stop()
        publish("core.cleanup_task_records", [], {})
        publish("notifications.sweep_reminders", [], {})
        assert dispatch_outbox() == (0, 2)
        first = QueuedTask.objects.order_by("pk").first()
        assert (first.status, first.attempts) == (QueuedTask.Status.PENDING, 2)

        redis_server.start()
        out = io.StringIO()
        call_command("dispatch_outbox", stdout=out)
        assert "Sent 2 task(s); 0 still waiting" in out.getvalue()
        assert dispatch_outbox() == (0, 0)  # already dispatched rows are not sent again

    assert set(QueuedTask.objects.values_list("status", flat=True)) == {QueuedTask.Status.DISPATCHED}
    queued = redis.Redis.from_url(redis_server.url).lrange("celery", 0, -1)
    names = [json.loads(message)["headers"]["task"] for message in queued]
    assert sorted(names) == ["core.cleanup_task_records", "notifications.sweep_reminders"]


def test_cleanup_forgets_old_finished_runs_and_dispatched_outbox_rows(db):
    old = timezone.now() - datetime.timedelta(days=30)
    TaskRun.objects.create(task_id="old", task_name="x", status=TaskRun.Status.SUCCEEDED, finished_at=old)
    TaskRun.objects.create(task_id="running", task_name="x", status=TaskRun.Status.RUNNING)
    QueuedTask.objects.create(task_name="x", status=QueuedTask.Status.DISPATCHED, dispatched_at=old)
    QueuedTask.objects.create(task_name="y", status=QueuedTask.Status.PENDING)
    cleanup_task_records.apply()
    assert list(TaskRun.objects.values_list("task_id", flat=True)) == ["running"]
    assert list(QueuedTask.objects.values_list("task_name", flat=True)) == ["y"]


def test_setup_schedules_creates_the_periodic_tasks_once_and_keeps_admin_edits(db):
    call_command("setup_schedules", stdout=io.StringIO())
    sweep = PeriodicTask.objects.get(task="notifications.sweep_reminders")
    assert (sweep.interval.every, sweep.interval.period) == (15, IntervalSchedule.MINUTES)
    assert PeriodicTask.objects.get(task="core.dispatch_outbox").interval.every == 1
    assert PeriodicTask.objects.get(task="privacy.retention_sweep").interval.every == 60
    assert PeriodicTask.objects.get(task="privacy.run_due_erasures").interval.every == 15
    sweep.interval = IntervalSchedule.objects.create(every=30, period=IntervalSchedule.MINUTES)
    sweep.save()
    count = PeriodicTask.objects.count()
    call_command("setup_schedules", stdout=io.StringIO())
    assert PeriodicTask.objects.count() == count
    assert PeriodicTask.objects.get(task="notifications.sweep_reminders").interval.every == 30
