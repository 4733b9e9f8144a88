"""Web workers restart one at a time: gunicorn's own jitter (0–200 on top of 2000) let both
workers reach their request limit within seconds of each other under load. The config's
pre_fork hook spreads the limits of workers started together over [base, 2 × base), and a
token shared by the workers lets only one restart at a time (post_request, post_worker_init)."""

import os
import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
CONFIG = BASE_DIR / "courseplatform" / "gunicorn.conf.py"
# Two workers with limits 100 and 150, under load until both restarted at least twice in all;
# the one left alone while the other restarts serves everything and may pass its own limit
# then: it must wait for the replacement.
RESTARTS = 4


def load_config(**env: str) -> dict:
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        return runpy.run_path(str(CONFIG))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class FakeArbiter:
    """What pre_fork reads from gunicorn's arbiter: its config and its log."""

    def __init__(self, config: dict) -> None:
        self.cfg = SimpleNamespace(workers=config["workers"], max_requests=config["max_requests"])
        self.log = SimpleNamespace(info=lambda *args: None)


def test_workers_started_together_get_limits_spread_evenly_a_replacement_gets_the_base():
    config = load_config(WEB_CONCURRENCY="4", GUNICORN_MAX_REQUESTS="2000")
    assert config["max_requests_jitter"] == 0
    arbiter = FakeArbiter(config)
    started = [SimpleNamespace(age=age, max_requests=None) for age in range(1, 5)]
    for worker in started:
        config["pre_fork"](arbiter, worker)
    limits = [worker.restart_after for worker in started]
    assert {worker.max_requests for worker in started} == {sys.maxsize}  # gunicorn's own check is off
    assert limits == [2000, 2500, 3000, 3500]
    # Each worker's limit is a quarter of the base from the next: with the load shared evenly
    # their restarts come 500 requests (per worker) apart, never two at once.
    assert min(b - a for a, b in zip(limits, limits[1:], strict=False)) == 2000 // 4

    arbiter._last_fork -= config["BURST_SECONDS"] + 1  # later, one worker restarts on its own
    replacement = SimpleNamespace(age=5, max_requests=None)
    config["pre_fork"](arbiter, replacement)
    assert replacement.restart_after == 2000


def test_a_worker_past_its_limit_waits_while_another_restarts(tmp_path):
    config = load_config(WEB_CONCURRENCY="2", GUNICORN_MAX_REQUESTS="10", GUNICORN_RESTART_TOKEN_DIR=str(tmp_path))
    quiet = SimpleNamespace(info=lambda *args: None)
    first, second = (SimpleNamespace(nr=0, restart_after=10, alive=True, log=quiet, ppid=4242) for _ in range(2))
    first.nr = second.nr = 10
    config["post_request"](first, None, {}, None)
    config["post_request"](second, None, {}, None)
    assert (first.alive, second.alive) == (False, True)  # the second keeps serving
    config["post_worker_init"](SimpleNamespace(ppid=4242, forked_at=0))  # forked earlier, slow to load
    second.nr = 11
    config["post_request"](second, None, {}, None)
    assert second.alive is True  # still waiting for the first one's replacement
    config["post_worker_init"](SimpleNamespace(ppid=4242, forked_at=time.time() + 1))  # the replacement
    second.nr = 11
    config["post_request"](second, None, {}, None)
    assert second.alive is False


def test_two_workers_are_half_the_base_apart_and_zero_disables_restarts():
    config = load_config(WEB_CONCURRENCY="2", GUNICORN_MAX_REQUESTS="2000")
    assert [config["max_requests_for"](position, 2, 2000) for position in range(3)] == [2000, 3000, 2000]
    assert config["max_requests_for"](1, 2, 0) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> int:
    for _ in range(50):
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status
        except OSError:
            time.sleep(0.05)  # the listening socket is shared: only a refused connect is retried
    raise AssertionError(f"{url} never answered")


def test_a_real_gunicorn_under_load_restarts_its_workers_one_at_a_time(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL")}
    env.update(
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        SECRET_KEY="restart-test-secret-key-" + "r" * 40,
        DATABASE_URL=f"sqlite:///{tmp_path / 'restarts.sqlite3'}",
        ALLOWED_HOSTS="127.0.0.1",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
        GUNICORN_MAX_REQUESTS="100",
        GUNICORN_RESTART_TOKEN_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="courseplatform.settings",
        PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    )
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            ["gunicorn", "courseplatform.wsgi:application", "--config", str(CONFIG)],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}/healthz"
            deadline = time.monotonic() + 60
            while "Booting worker" not in log_path.read_text() or _get(url) != 200:
                assert time.monotonic() < deadline and server.poll() is None, log_path.read_text()
            statuses = []
            with ThreadPoolExecutor(max_workers=4) as pool:
                # Which worker accepts a connection is up to the kernel: keep the load on
                # until several restarts happened (bounded).
                load_until = time.monotonic() + 90
                while log_path.read_text().count("Autorestarting worker") < RESTARTS and time.monotonic() < load_until:
                    statuses += pool.map(_get, [url] * 50)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert set(statuses) == {200}
    lines = log_path.read_text().splitlines()
    limits = [int(m.group(1)) for line in lines if (m := re.search(r"will restart after (\d+) requests", line))]
    assert limits[:2] == [100, 150], limits
    assert "Traceback" not in log_path.read_text()

    # Follow the log: a restart runs from "Autorestarting" in a worker to the master booting
    # its replacement. Another worker must not start restarting meanwhile.
    restarting: str | None = None
    restarts = 0
    for line in lines:
        pid = re.search(r"\[(\d+)\] \[INFO\]", line)
        if "Autorestarting worker" in line:
            assert restarting is None, f"worker {pid.group(1)} restarted while worker {restarting} was restarting"
            restarting = pid.group(1)
            restarts += 1
        elif "Booting worker" in line and restarting is not None:
            restarting = None
    assert restarts >= RESTARTS, "\n".join(lines[-40:])
