"""Real `celery worker` processes for the durability and fault tests: started by the test
against a private redis-server (tests/redis_server.py, never the shared one) and the test
database (PostgreSQL when DATABASE_URL is set; with SQLite, a file copy of the test database
that both processes use), and killed with SIGKILL like a lost machine."""

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

from django.conf import settings
from django.db import connection

from core.queue import reset_broker_pause
from courseplatform.celery import app
from tests.redis_server import PrivateRedis

BASE_DIR = Path(settings.BASE_DIR)
CELERY = str(Path(sys.executable).with_name("celery"))
VISIBILITY_TIMEOUT = 6


@contextmanager
def celery_publishing_to(url: str, *, broker_timeout: float | None = None):
    """Point this process's Celery app at `url` and turn eager mode off for the block.

    `broker_timeout` replaces the product's publish timeouts (CELERY_ENQUEUE_TIMEOUT, 2 s) in
    this process: for a test whose subject is what a worker does with the task, not how
    quickly a publish gives up, on a machine so loaded that a private Redis may answer late
    (the publish then went to the outbox and the test failed before its subject began)."""
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    saved_timeouts = (app.conf.broker_transport_options, app.conf.broker_connection_timeout)
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    if broker_timeout is not None:
        app.conf.broker_transport_options = {
            **app.conf.broker_transport_options,
            "socket_connect_timeout": broker_timeout,
            "socket_timeout": broker_timeout,
        }
        app.conf.broker_connection_timeout = broker_timeout
    app._pool = None
    app.amqp._producer_pool = None
    reset_broker_pause()
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app.conf.task_always_eager = saved
        app.conf.broker_transport_options, app.conf.broker_connection_timeout = saved_timeouts
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
    """celery worker processes started by the test; each killed by its own process group.
    `include` names the module of test hooks the worker imports (-I); `extra_env` is added
    to the environment of the workers started after it is set."""

    def __init__(
        self, redis: PrivateRedis, database: SharedDatabase, include: str = "tests.notifications.worker_tasks"
    ) -> None:
        self.redis = redis
        self.database = database
        self.include = include
        self.extra_env: dict[str, str] = {}
        self.processes: list[subprocess.Popen] = []
        self.log = tempfile.NamedTemporaryFile(prefix="cp-test-worker-", suffix=".log", delete=False)

    def environment(self) -> dict[str, str]:
        return {
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
            "CELERY_TASK_WORKER": "1",
            **self.extra_env,
        }

    def start(self) -> subprocess.Popen:
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
                self.include,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=BASE_DIR,
            env=self.environment(),
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


def publish(name: str, *args) -> str:
    task_id = str(uuid.uuid4())
    app.send_task(name, args=list(args), task_id=task_id, ignore_result=True, retry=False)
    return task_id
