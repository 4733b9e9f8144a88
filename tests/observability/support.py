"""Real processes for the observability tests: a gunicorn serving the platform, and a tiny
OTLP/HTTP collector that decodes the spans the web and worker processes export (the
protobuf messages of opentelemetry-proto, as a real collector receives them)."""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.redis_server import free_port

BASE_DIR = Path(settings.BASE_DIR)
CONFIG = BASE_DIR / "courseplatform" / "gunicorn.conf.py"
METRICS_TOKEN = "metrics-test-token-" + "m" * 24


def http(
    url: str, *, method: str = "GET", headers: dict | None = None, body: bytes | None = None
) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(condition, timeout: float, message: str, log: Path | None = None):
    """Poll `condition` until it returns something true, or fail with `message` (and the log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    raise AssertionError(f"{message}\n{tail}")


class Gunicorn:
    """The Dockerfile's command (gunicorn with courseplatform/gunicorn.conf.py) on a free
    port, DEBUG off, with the given extra environment."""

    def __init__(self, *, database_url: str, redis_url: str, workers: int = 2, **extra_env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix="cp-test-gunicorn-"))
        self.log = self.dir / "gunicorn.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PROMETHEUS_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="courseplatform.settings",
            DEBUG="false",
            SECURE_SSL_REDIRECT="false",
            SECRET_KEY="observability-test-secret-key-" + "o" * 40,
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            CELERY_BROKER_URL=redis_url,
            ALLOWED_HOSTS="127.0.0.1",
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY=str(workers),
            GUNICORN_THREADS="2",
            GUNICORN_RESTART_TOKEN_DIR=str(self.dir),
            MFA_REQUIRED_FOR_STAFF="false",
            PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
            **extra_env,
        )
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> "Gunicorn":
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["gunicorn", "courseplatform.wsgi:application", "--config", str(CONFIG)],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        workers = int(self.env["WEB_CONCURRENCY"])

        def ready() -> bool:
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            if self.log.read_text(errors="replace").count("Booting worker") < workers:
                return False
            try:
                return http(f"{self.url}/healthz")[0] == 200
            except OSError:
                return False

        wait_for(ready, 60, "gunicorn did not start", self.log)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)

    def json_lines(self) -> list[dict]:
        return json_lines(self.log)


def json_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
    return lines


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int


class OtlpCollector:
    """Receives OTLP/HTTP protobuf exports (POST /v1/traces) and keeps the spans."""

    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self.requests = 0
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                export = ExportTraceServiceRequest()
                export.ParseFromString(body)
                collector.receive(export)
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._lock = threading.Lock()

    def receive(self, export: ExportTraceServiceRequest) -> None:
        with self._lock:
            self.requests += 1
            for resource_spans in export.resource_spans:
                service = next(
                    (a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"), ""
                )
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans.append(
                            ReceivedSpan(
                                service=service,
                                name=span.name,
                                trace_id=span.trace_id.hex(),
                                span_id=span.span_id.hex(),
                                parent_span_id=span.parent_span_id.hex(),
                                kind=span.kind,
                            )
                        )

    @contextmanager
    def running(self):
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


SERIES_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("_count", "_sum"),
}


def exported_series_names(exposition: str) -> set[str]:
    """Every series name an exposition offers, including those of labelled families that
    have no sample yet (a counter nobody incremented in this process still exists)."""
    from prometheus_client.parser import text_string_to_metric_families

    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names.update(sample.name for sample in family.samples)
        names.update(family.name + suffix for suffix in SERIES_SUFFIXES.get(family.type, ("",)))
    return names
