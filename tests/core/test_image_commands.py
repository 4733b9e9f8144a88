"""No Docker engine runs on these machines, so the image's own commands run here as plain
processes: collectstatic as in the build, then the image's CMD (gunicorn) with DEBUG off,
serving the course page and whitenoise's static files."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
DOCKERFILE = (BASE_DIR / "Dockerfile").read_text()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, dict(response.headers), response.read()


def test_dockerfile_runs_as_a_non_root_user_on_a_slim_base():
    assert re.search(r"^FROM python:3\.11-slim", DOCKERFILE, re.M)
    assert re.search(r"^USER app$", DOCKERFILE, re.M)
    assert "collectstatic --noinput" in DOCKERFILE


def test_image_commands_serve_the_platform_with_gunicorn_and_whitenoise(tmp_path):
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.M).group(1))
    assert cmd[0] == "gunicorn"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL")}
    env.update(
        DEBUG="false",
        SECRET_KEY="image-test-secret-key-" + "q" * 40,
        DATABASE_URL=f"sqlite:///{tmp_path / 'image.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        DJANGO_SETTINGS_MODULE="courseplatform.settings",
    )
    bin_dir = Path(sys.executable).parent
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '')}"
    for step in (["migrate", "--noinput"], ["import_curriculum"], ["collectstatic", "--noinput"]):
        subprocess.run([sys.executable, "manage.py", *step], cwd=BASE_DIR, env=env, check=True, capture_output=True)

    server = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, body = _get(f"{base}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not start:\n" + server.stdout.read1().decode(errors="replace"))
                time.sleep(0.3)
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        assert _get(f"{base}/readyz")[0] == 200

        https = {"X-Forwarded-Proto": "https", "Host": "localhost"}
        status, headers, body = _get(f"{base}/", https)
        html = body.decode()
        assert status == 200
        assert "Strict-Transport-Security" in headers
        assert "<h1>Backend Engineering: Scalable Architectures</h1>" in html
        css = re.search(r'href="(/static/css/app\.[0-9a-f]+\.css)"', html)
        assert css, "static files are served from hashed, cacheable names"
        status, headers, _ = _get(base + css.group(1), https)
        assert status == 200
        assert "max-age=315360000" in headers["Cache-Control"]
    finally:
        server.terminate()
        server.wait(timeout=10)
