"""Durability with real processes: a real `celery worker` against a private Redis started by
the test (never the shared one), and the test database (PostgreSQL when DATABASE_URL is set;
with SQLite, a file copy of the test database that both processes use).

- A worker killed mid-task does not lose the task: another worker finishes it once the
  visibility timeout passes, and its effect happens exactly once.
- A task that kills its worker every time stops after a bounded number of deliveries.
- Redis down: a web request that enqueues returns quickly and the task waits in the outbox;
  when Redis is back, dispatch_outbox sends it and a worker runs it.
"""

import os
import time

import pytest
import redis
from django.db import connection
from django.urls import reverse

from core.models import QueuedTask, TaskRun
from tests.factories import UserFactory
from tests.workers import SharedDatabase, Workers, celery_publishing_to, publish, wait_for


@pytest.fixture
def workers(redis_server):
    pool = Workers(redis_server, SharedDatabase())
    yield pool
    pool.stop_all()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_does_not_lose_it(course, workers, redis_server):
    user = UserFactory()
    workers.database.share()
    first = workers.start()
    with celery_publishing_to(redis_server.url):
        task_id = publish("tests.slow_notify", user.pk, 3)

    wait_for(lambda: workers.database.task_run(task_id), 30, "the first worker never started the task", workers)
    workers.kill(first)
    assert workers.database.task_run(task_id)[0] == TaskRun.Status.RUNNING
    assert workers.database.rows("SELECT count(*) FROM notifications_notification")[0][0] == 0

    workers.start()
    done = wait_for(
        lambda: (run := workers.database.task_run(task_id)) and run[0] == TaskRun.Status.SUCCEEDED and run,
        40,
        "the task was not finished by the second worker",
        workers,
    )
    status, deliveries, lost, _error = done
    assert (deliveries, lost) == (2, 1)
    assert workers.database.rows(
        "SELECT count(*) FROM notifications_notification WHERE recipient_id = ? AND title = ?",
        (user.pk, "The slow job finished"),
    ) == [(1,)]


@pytest.mark.django_db(transaction=True)
def test_a_task_that_kills_its_worker_stops_after_a_bounded_number_of_deliveries(course, workers, redis_server):
    workers.database.share()
    workers.start()
    with celery_publishing_to(redis_server.url):
        task_id = publish("tests.kill_worker")
    status, deliveries, lost, error = wait_for(
        lambda: (run := workers.database.task_run(task_id)) and run[0] == TaskRun.Status.FAILED and run,
        40,
        "the poison task never gave up",
        workers,
    )
    assert (deliveries, lost) == (3, 2)
    assert "Gave up: a worker died while running this task 2 times" in error
    # No further delivery can come once the broker holds the message nowhere: neither queued
    # nor unacknowledged (where Redis would hand it out again after the visibility timeout).
    broker = redis.Redis.from_url(redis_server.url)
    assert broker.exists("_kombu.binding.celery"), "the worker consumes another queue than 'celery'"
    wait_for(
        lambda: broker.llen("celery") == 0 and broker.hlen("unacked") == 0,
        20,
        "the given-up message stayed on the broker",
        workers,
    )
    broker.close()
    assert workers.database.task_run(task_id)[1] == 3, "delivered again after giving up"


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_worker_process_died_goes_back_to_the_front_of_the_queue(course, workers, redis_server):
    """The poison task kills its pool process on every delivery; a job published after it
    waits until it has given up. kombu's Redis transport used to requeue the rejected message
    behind the later job (LPUSH), so the job ran between the poison task's deliveries."""
    user = UserFactory()
    workers.database.share()
    workers.start()
    with celery_publishing_to(redis_server.url):
        poison_id = publish("tests.kill_worker")
        later_id = publish("tests.slow_notify", user.pk, 0)
    wait_for(
        lambda: (run := workers.database.task_run(later_id)) and run[0] == TaskRun.Status.SUCCEEDED,
        40,
        "the later job never ran",
        workers,
    )
    poison = workers.database.rows(
        "SELECT status, deliveries, finished_at FROM core_taskrun WHERE task_id = ?", (poison_id,)
    )
    later_started = workers.database.rows("SELECT started_at FROM core_taskrun WHERE task_id = ?", (later_id,))[0][0]
    status, deliveries, finished_at = poison[0]
    assert (status, deliveries) == (TaskRun.Status.FAILED, 3), "the later job ran before the poison task gave up"
    assert finished_at <= later_started


@pytest.mark.django_db(transaction=True)
def test_redis_down_a_request_returns_fast_and_the_task_runs_when_redis_is_back(
    course, workers, redis_server, client_for
):
    user = UserFactory()
    client = client_for(user)
    with celery_publishing_to(redis_server.url):
        redis_server.stop()
        started = time.monotonic()
        response = client.post(reverse("notifications:test_email"))
        elapsed = time.monotonic() - started
        assert response.status_code == 302
        assert elapsed < 2.5, f"the request took {elapsed:.1f}s with Redis down"
        kept = QueuedTask.objects.get()
        assert (kept.task_name, kept.status) == ("notifications.send_test_email", QueuedTask.Status.PENDING)
        assert kept.args[0] == user.pk

        redis_server.start()
        from django.core.management import call_command

        call_command("dispatch_outbox", stdout=open(os.devnull, "w"))  # noqa: SIM115
        kept.refresh_from_db()
        assert kept.status == QueuedTask.Status.DISPATCHED

    workers.database.share()
    workers.start()
    wait_for(
        lambda: (
            workers.database.rows(
                "SELECT count(*) FROM notifications_notification WHERE recipient_id = ? AND kind = 'system'", (user.pk,)
            )
            == [(1,)]
        ),
        40,
        "the outbox task never ran",
        workers,
    )


@pytest.mark.postgresql  # cuts a PostgreSQL backend's connection
@pytest.mark.django_db(transaction=True)
def test_database_connections_cut_mid_task_are_retried_not_counted_as_dead_workers(course, workers, redis_server):
    """pg_terminate_backend cuts the task's connection (as a PostgreSQL restart or failover
    does) three times in a row: each is a retry, none a lost worker, and the fourth
    delivery does the work once. Before, recording the retry failed on the dead connection,
    the run stayed "running" and each retry counted as a worker death (three gave up)."""
    user = UserFactory()
    blips = 3
    workers.extra_env = {
        "CELERY_TASK_RETRY_BACKOFF": "1",
        # Room for the test to find and cut each delivery on a busy machine.
        "CELERY_VISIBILITY_TIMEOUT": "40",
        "CELERY_TASK_TIME_LIMIT": "35",
        "CELERY_TASK_SOFT_TIME_LIMIT": "34",
    }
    workers.database.share()
    workers.start()
    with celery_publishing_to(redis_server.url):
        task_id = publish("tests.database_blip", user.pk, blips)

    cut_pids: set[int] = set()

    def cut() -> bool:
        """Terminate the task's connection while it waits in the database (each one once: a
        terminated backend stays listed for a moment)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND query LIKE %s",
                [f"blip-{task_id}", "%pg_sleep%"],
            )
            pids = {pid for (pid,) in cursor.fetchall()} - cut_pids
            for pid in pids:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            cut_pids.update(pids)
            return bool(pids)

    for number in range(1, blips + 1):
        wait_for(cut, 30, f"delivery {number} never reached the database", workers)
    status, deliveries, lost, error = wait_for(
        lambda: (run := workers.database.task_run(task_id)) and run[0] == TaskRun.Status.SUCCEEDED and run,
        40,
        "the task never succeeded after the blips",
        workers,
    )
    assert (deliveries, lost, error) == (blips + 1, 0, "")
    assert workers.database.rows(
        "SELECT count(*) FROM notifications_notification WHERE recipient_id = ? AND title = ?",
        (user.pk, "The job survived the database blips"),
    ) == [(1,)]
