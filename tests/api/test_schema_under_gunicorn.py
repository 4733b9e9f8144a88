"""/api/schema/ on a freshly started gunicorn worker with several threads: concurrent first
requests once ran drf-spectacular's (not thread-safe) generator side by side and some
answered 500. The document is now generated once per process, under a lock."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
CONCURRENT_FIRST_REQUESTS = 8


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _wait_until_serving(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read().decode(errors="replace")
        try:
            if _status(f"{base}/healthz") == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start serving within 60 s")


def test_concurrent_first_schema_requests_on_a_fresh_threaded_worker_all_succeed(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL")}
    env.update(
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        SECRET_KEY="schema-test-secret-key-" + "q" * 40,
        DATABASE_URL=f"sqlite:///{tmp_path / 'schema.sqlite3'}",
        ALLOWED_HOSTS="127.0.0.1",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS=str(CONCURRENT_FIRST_REQUESTS),
        DJANGO_SETTINGS_MODULE="courseplatform.settings",
        PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    )
    command = ["gunicorn", "courseplatform.wsgi:application", "--config", "courseplatform/gunicorn.conf.py"]
    server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_serving(base, server)
        with ThreadPoolExecutor(max_workers=CONCURRENT_FIRST_REQUESTS) as pool:
            statuses = list(pool.map(_status, [f"{base}/api/schema/?format=json"] * CONCURRENT_FIRST_REQUESTS))
        assert statuses == [200] * CONCURRENT_FIRST_REQUESTS
    finally:
        server.terminate()
        server.wait(timeout=30)
