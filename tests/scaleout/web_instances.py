"""Several web instances behind a real reverse proxy, as processes on this machine: gunicorn
started with the image's own configuration (courseplatform/gunicorn.conf.py) and production
settings with DEBUG off (tests/scaleout/instance_settings.py), and HAProxy from Debian running deploy/haproxy.cfg with its
addresses replaced by free local ports. Each is killed by its own process group."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from tests.redis_server import PrivateRedis, free_port

BASE_DIR = Path(settings.BASE_DIR)
HAPROXY_CONFIG = BASE_DIR / "deploy" / "haproxy.cfg"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
HAPROXY = "/usr/sbin/haproxy"
SECRET_KEY = "scaleout-test-secret-shared-by-every-instance-" + "k" * 20


class WebInstance:
    """One gunicorn master (one worker) on its own port, with its access log in a file."""

    def __init__(self, name: str, environment: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.environment = {**environment, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.log = tempfile.NamedTemporaryFile(prefix=f"cp-test-{name}-", suffix=".log", delete=False)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [GUNICORN, "-c", "courseplatform/gunicorn.conf.py", "courseplatform.wsgi:application"],
            cwd=BASE_DIR,
            env=self.environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} was not ready within {timeout} s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL the master and its worker at once, as a lost machine would: no graceful
        shutdown, no request finished."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            # The master is gone; its worker, which shares the listening socket, may live a
            # few milliseconds longer and still accept connections into the backlog. A lost
            # machine refuses them: wait for that.
            wait_until(self._refuses_connections, timeout=10, message=f"{self.name} still accepts connections")

    def _refuses_connections(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return False
        except ConnectionRefusedError:
            return True
        except OSError:
            return False

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def requests_served(self) -> list[str]:
        """The request lines of gunicorn's access log ("POST /work/12/ HTTP/1.1"), without
        the proxy's health checks."""
        lines = re.findall(r'"((?:GET|POST|HEAD|PUT|PATCH|DELETE) [^"]+)"', self.output())
        return [line for line in lines if not line.startswith("GET /readyz")]


def render_haproxy_config(*, proxy_port: int, servers: dict[str, int], target: Path) -> Path:
    """deploy/haproxy.cfg with the listening address and each `server` line's address
    replaced by local ports; everything else (checks, retries, redispatch) as committed."""
    text = HAPROXY_CONFIG.read_text()
    text, binds = re.subn(r"(?m)^    bind :80$", f"    bind 127.0.0.1:{proxy_port}", text)
    assert binds == 1, "deploy/haproxy.cfg must have one plain `bind :80` line"
    for name, port in servers.items():
        text, count = re.subn(rf"(?m)^(    server {name}) \S+", rf"\1 127.0.0.1:{port}", text)
        assert count == 1, f"deploy/haproxy.cfg has no `server {name}` line"
    target.write_text(text)
    return target


class Proxy:
    """HAProxy in the foreground (-db), its log (one line per request) in a file."""

    def __init__(self, servers: dict[str, int]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        directory = Path(tempfile.mkdtemp(prefix="cp-test-haproxy-"))
        self.config = render_haproxy_config(proxy_port=self.port, servers=servers, target=directory / "haproxy.cfg")
        self.log = directory / "haproxy.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [HAPROXY, "-db", "-f", str(self.config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def servers_up(self) -> set[str]:
        """The servers HAProxy has seen pass their health checks, from its log."""
        up: set[str] = set()
        for name, state in re.findall(r"Server web/(\w+) is (UP|DOWN)", self.output()):
            (up.add if state == "UP" else up.discard)(name)
        return up


def wait_until(condition, *, timeout: float, message) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(message() if callable(message) else message)


def proxy_answers(proxy: Proxy, path: str = "/healthz") -> bool:
    try:
        with urllib.request.urlopen(f"{proxy.url}{path}", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def routed(proxy: Proxy) -> list[tuple[str, str]]:
    """(server, request line) of every request HAProxy logged, in the order they ended."""
    return re.findall(r" www web/(\w+) .*?\"(\w+ \S+) HTTP", proxy.output())


def routed_once_logged(proxy: Proxy, *, request: str, count: int, timeout: float = 10) -> list[tuple[str, str]]:
    """routed(proxy), once HAProxy has logged at least `count` requests starting with
    `request` ("GET /readyz"): it writes a request's line after the answer has gone out, so
    a test reading its log right after a response can be ahead of it."""

    def logged():
        requests = routed(proxy)
        return requests if sum(line.startswith(request) for _, line in requests) >= count else None

    return wait_until(
        logged, timeout=timeout, message=lambda: f"HAProxy logged fewer than {count} × {request}:\n{proxy.output()}"
    )


@contextmanager
def web_cluster(*, database_url: str, media_root: Path, names=("web1", "web2")):
    """Gunicorn instances (DEBUG off, the image's gunicorn configuration) on one database
    and one private Redis, and HAProxy in front of them: yields (proxy, {name: instance})."""
    redis = PrivateRedis()
    redis.start()
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "tests.scaleout.instance_settings",
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(media_root),
        # The browser talks plain http to the proxy on 127.0.0.1 (a secure context, so the
        # Secure session cookie is kept): no TLS redirect here, everything else as deployed.
        "SECURE_SSL_REDIRECT": "false",
        "TRUSTED_PROXY_COUNT": "1",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "4",
    }
    instances = {name: WebInstance(name, environment) for name in names}
    proxy = None
    try:
        for instance in instances.values():
            instance.start()
        for instance in instances.values():
            instance.wait_until_ready()
        proxy = Proxy({name: instance.port for name, instance in instances.items()})
        proxy.start()
        wait_until(
            lambda: proxy_answers(proxy), timeout=20, message=lambda: f"HAProxy did not answer:\n{proxy.output()}"
        )
        yield proxy, instances
    finally:
        if proxy is not None:
            proxy.stop()
        for instance in instances.values():
            instance.kill()
        redis.stop()
