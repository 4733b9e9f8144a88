"""The Celery worker's own metrics endpoint: a small HTTP server in the worker's main process
on WORKER_METRICS_PORT (0, the default, leaves it off), answering GET /metrics with what
this worker's processes counted, under the same access rule as the web endpoint, and
GET /healthz (open, like the web's) for an orchestrator's liveness probe: it answers while
the worker's main process runs."""

import logging
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings

from .access import scrape_decision
from .metrics import exposition

logger = logging.getLogger(__name__)

_REASONS = {200: "200 OK", 403: "403 Forbidden", 404: "404 Not Found"}


def metrics_app(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"status": "ok"}']
    status = 404 if environ.get("PATH_INFO") != "/metrics" else scrape_decision(environ)
    if status != 200:
        start_response(_REASONS[status], [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Not found.\n" if status == 404 else b"Forbidden.\n"]
    body, content_type = exposition(include_scrape_gauges=False)
    start_response("200 OK", [("Content-Type", content_type), ("Cache-Control", "no-store")])
    return [body]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        logger.debug("worker metrics: " + format, *args)


class _ThreadingServer(WSGIServer):
    daemon_threads = True


_server: dict[str, WSGIServer] = {}


def start_worker_metrics_server() -> int | None:
    """Start serving (once per process); returns the port, or None when switched off."""
    port = settings.WORKER_METRICS_PORT
    if not port or "server" in _server:
        return None
    server = make_server(
        settings.WORKER_METRICS_ADDRESS, port, metrics_app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    _server["server"] = server
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    logger.info("Worker metrics served on %s:%s/metrics", settings.WORKER_METRICS_ADDRESS, port)
    return port
