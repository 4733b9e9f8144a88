"""No Docker engine runs on these machines, so the image's own commands run here as plain
processes: collectstatic as in the build, then the image's CMD (gunicorn) with DEBUG off,
serving the course page and whitenoise's static files."""

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
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


def _dockerfile_healthcheck() -> list[str]:
    command = re.search(r"^HEALTHCHECK .*?CMD (.+)$", DOCKERFILE, re.M).group(1)
    return shlex.split(command)


def _compose_web_healthcheck() -> list[str]:
    compose = yaml.safe_load((BASE_DIR / "compose.yaml").read_text())
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    return test[1:]


def test_image_commands_serve_the_platform_with_gunicorn_and_whitenoise(tmp_path):
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.M).group(1))
    assert cmd[0] == "gunicorn"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL")}
    env.update(
        DEBUG="false",
        SECRET_KEY="image-test-secret-key-" + "q" * 40,
        DATABASE_URL=f"sqlite:///{tmp_path / 'image.sqlite3'}",
        # A real domain, as in production: the health checks call 127.0.0.1 all the same.
        ALLOWED_HOSTS="courses.example.com",
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
        # The image's and the compose file's own health checks, pointed at this server.
        for check in (_dockerfile_healthcheck(), _compose_web_healthcheck()):
            check = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in check]
            assert subprocess.run(check, env=env, capture_output=True, timeout=20).returncode == 0, check
        # Anything else still answers only to the allowed host.
        with pytest.raises(urllib.error.HTTPError) as refused:
            _get(f"{base}/", {"X-Forwarded-Proto": "https"})
        assert refused.value.code == 400

        https = {"X-Forwarded-Proto": "https", "Host": "courses.example.com"}
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


def test_compose_runs_every_app_process_with_debug_off_and_shared_media():
    compose = yaml.safe_load((BASE_DIR / "compose.yaml").read_text())
    for name in ("migrate", "web", "worker", "beat"):
        service = compose["services"][name]
        assert service["environment"]["DEBUG"] == "false", name
        assert "media:/app/media" in service["volumes"], name
    assert "media" in compose["volumes"]
    assert re.search(r"^RUN mkdir -p /app/media && chown app:app /app/media$", DOCKERFILE, re.M)


def test_env_example_does_not_switch_debug_on():
    lines = (BASE_DIR / ".env.example").read_text().splitlines()
    assert not [line for line in lines if line.strip().startswith("DEBUG")]


def test_compose_publishes_the_web_port_on_loopback_only():
    """The proxy in front is the only way in: a web port open on every interface beside it
    lets clients skip it and forge X-Forwarded-For."""
    compose = yaml.safe_load((BASE_DIR / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        for mapping in service.get("ports", []):
            assert str(mapping).startswith(("127.0.0.1:", "[::1]:")), (name, mapping)
