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
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from core.models import QueuedTask, TaskRun
from core.queue import reset_broker_pause
from courseplatform.celery import app
from tests.factories import UserFactory
from tests.redis_server import PrivateRedis

BASE_DIR = Path(settings.BASE_DIR)
CELERY = str(Path(sys.executable).with_name("celery"))
VISIBILITY_TIMEOUT = 6


@contextmanager
def celery_publishing_to(url: str):
    """Point this process's Celery app at `url` and turn eager mode off for the block."""
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    reset_broker_pause()
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app.conf.task_always_eager = saved
        app._pool = None
        app.amqp._producer_pool = None
        reset_broker_pause()


class SharedDatabase:
    """The database the worker process uses, and a way to read it from the test."""

    def __init__(self) -> None:
        self.sqlite_path: str | None = None

    def share(self) -> None:
        """Make what the test committed so far visible to worker processes."""
        if connection.vendor == "sqlite":
            self.sqlite_path = self.sqlite_path or str(Path(tempfile.mkdtemp(prefix="cp-test-db-")) / "db.sqlite3")
            connection.ensure_connection()
            target = sqlite3.connect(self.sqlite_path)
            connection.connection.backup(target)
            target.close()

    @property
    def url(self) -> str:
        if self.sqlite_path:
            return f"sqlite:///{self.sqlite_path}"
        db = connection.settings_dict
        return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.sqlite_path:
            with sqlite3.connect(self.sqlite_path) as db:
                return db.execute(sql, params).fetchall()
        with connection.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall()

    def task_run(self, task_id: str) -> tuple | None:
        rows = self.rows(
            "SELECT status, deliveries, lost_deliveries, last_error FROM core_taskrun WHERE task_id = ?", (task_id,)
        )
        return rows[0] if rows else None


class Workers:
    """celery worker processes started by the test; each killed by its own process group."""

    def __init__(self, redis: PrivateRedis, database: SharedDatabase) -> None:
        self.redis = redis
        self.database = database
        self.processes: list[subprocess.Popen] = []
        self.log = tempfile.NamedTemporaryFile(prefix="cp-test-worker-", suffix=".log", delete=False)

    def start(self) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "courseplatform.test_settings",
            "DATABASE_URL": self.database.url,
            "REDIS_URL": self.redis.url,
            "CELERY_BROKER_URL": self.redis.url,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CELERY_TASK_TIME_LIMIT": str(VISIBILITY_TIMEOUT - 1),
            "CELERY_TASK_SOFT_TIME_LIMIT": str(VISIBILITY_TIMEOUT - 2),
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "CELERY_UNACKED_RESTORE_THROTTLE": "1",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "DEBUG": "false",
        }
        process = subprocess.Popen(
            [
                CELERY,
                "-A",
                "courseplatform",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=INFO",
                "-I",
                "tests.notifications.worker_tasks",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool children, as a lost machine would."""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            try:
                self.kill(process)
            except ProcessLookupError:
                pass

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-4000:]


def wait_for(condition, timeout: float, message: str, workers: Workers):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{message} (worker log follows)\n{workers.output()}")


@pytest.fixture
def workers(redis_server):
    database = SharedDatabase()
    pool = Workers(redis_server, database)
    yield pool
    pool.stop_all()


def publish(name: str, *args) -> str:
    task_id = str(uuid.uuid4())
    app.send_task(name, args=list(args), task_id=task_id, ignore_result=True, retry=False)
    return task_id


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
    time.sleep(2)
    assert workers.database.task_run(task_id)[1] == 3, "delivered again after giving up"


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
