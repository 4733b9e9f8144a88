"""Beat as exactly one scheduler (core/beat.py): two real `celery beat` processes on one
Redis and one database; only the one holding the lock sends the periodic tasks. When it is
SIGKILLed the standby takes over once the lock expires; when it is stopped (SIGTERM) it
hands over at once."""

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import redis
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from core.beat import LOCK_NAME
from tests.workers import BASE_DIR, CELERY, SharedDatabase

pytestmark = pytest.mark.django_db(transaction=True)

LOCK_TTL = 3
PROBE_TASK = "tests.scaleout.beat_probe"


class Beat:
    def __init__(self, name: str, environment: dict[str, str]) -> None:
        self.name = name
        directory = Path(tempfile.mkdtemp(prefix=f"cp-test-beat-{name}-"))
        self.log = directory / "beat.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [CELERY, "-A", "courseplatform", "beat", "--loglevel=INFO", f"--pidfile={directory / 'beat.pid'}"],
                cwd=BASE_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def origin(self) -> str:
        """How the messages this process sends name their producer (Celery's `origin` header)."""
        return f"gen{self.process.pid}@"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def signal(self, number: int) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, number)
            self.process.wait(timeout=20)


@pytest.fixture
def beats(redis_server, course):
    """Start beat processes (on the test's own Redis and database) by calling the fixture."""
    database = SharedDatabase()
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="Beat probe", task=PROBE_TASK, interval=every_second)
    database.share()
    # Without PYTEST_XDIST_WORKER: under xdist, test_settings would move the beat to another
    # database of this Redis (one per test process), where the test would not find its lock.
    environment = {
        **{key: value for key, value in os.environ.items() if key != "PYTEST_XDIST_WORKER"},
        "DJANGO_SETTINGS_MODULE": "courseplatform.test_settings",
        "DATABASE_URL": database.url,
        "REDIS_URL": redis_server.url,
        "CELERY_BROKER_URL": redis_server.url,
        "CELERY_BEAT_LOCK_TTL": str(LOCK_TTL),
        "CELERY_TASK_WORKER": "1",
        "DEBUG": "false",
    }
    started: list[Beat] = []

    def start(name: str) -> Beat:
        beat = Beat(name, environment)
        started.append(beat)
        return beat

    yield start
    for beat in started:
        beat.signal(signal.SIGKILL)


def _probes_sent(redis_url: str) -> list[str]:
    """The origin of every probe message waiting on the broker (no worker consumes them)."""
    client = redis.Redis.from_url(redis_url)
    origins = []
    for raw in client.lrange("celery", 0, -1):
        headers = json.loads(raw)["headers"]
        if headers["task"] == PROBE_TASK:
            origins.append(headers["origin"])
    return list(reversed(origins))  # LPUSH: newest first


def _wait(condition, timeout: float, message) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(message())


def _sent_by(beat: Beat, redis_url: str) -> int:
    return sum(origin.startswith(beat.origin) for origin in _probes_sent(redis_url))


def test_two_beats_schedule_once_and_the_standby_takes_over_from_a_killed_one(beats, redis_server):
    url = redis_server.url
    first = beats("first")
    _wait(lambda: _sent_by(first, url) >= 2, 60, lambda: f"the first beat sent nothing:\n{first.output()}")

    second = beats("second")
    _wait(lambda: "stands by" in second.output(), 60, lambda: f"the second beat did not stand by:\n{second.output()}")
    before = _sent_by(first, url)
    # Several seconds with both running: the first keeps sending, the second sends nothing.
    _wait(lambda: _sent_by(first, url) >= before + 4, 30, lambda: first.output())
    assert _sent_by(second, url) == 0, second.output()

    first.signal(signal.SIGKILL)  # a lost machine: the lock is not released, it expires
    killed_at = time.monotonic()
    _wait(lambda: _sent_by(second, url) >= 2, 60, lambda: f"the standby never took over:\n{second.output()}")
    assert time.monotonic() - killed_at < LOCK_TTL + 10
    assert "holds the beat lock: scheduling" in second.output()
    sent = _probes_sent(url)
    # Once it took over, every probe is the second's: no interleaving, no duplicate sender.
    first_of_second = next(i for i, origin in enumerate(sent) if origin.startswith(second.origin))
    assert all(origin.startswith(second.origin) for origin in sent[first_of_second:])


def test_a_beat_stopped_with_sigterm_hands_the_lock_over_at_once(beats, redis_server):
    url = redis_server.url
    first = beats("first")
    _wait(lambda: _sent_by(first, url) >= 1, 60, lambda: f"the first beat sent nothing:\n{first.output()}")
    second = beats("second")
    _wait(lambda: "stands by" in second.output(), 60, lambda: second.output())

    holder = redis.Redis.from_url(url).get(LOCK_NAME)
    assert holder and f":{first.process.pid}:".encode() in holder

    first.signal(signal.SIGTERM)
    assert "released the beat lock" in first.output()
    # Gone the moment the process is, instead of lingering for the TTL (or already the second's).
    holder = redis.Redis.from_url(url).get(LOCK_NAME)
    assert holder is None or f":{second.process.pid}:".encode() in holder
    _wait(lambda: _sent_by(second, url) >= 1, LOCK_TTL, lambda: f"no quick hand-over:\n{second.output()}")
