"""gunicorn settings for the web process; every value can be overridden from the environment."""

import multiprocessing
import os
import sys
import time

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Restart workers now and then so a slow leak can't grow without bound. gunicorn's own jitter
# (a random 0–200 on top of 2000) let both workers restart within seconds of each other under
# load: a p99 spike while neither served. The hooks below restart them one at a time instead.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 0
# With LOG_FORMAT=json every request is already one JSON line from the application
# (django-structlog's request_finished, with its request id); a text access line beside it
# would only break the log collector's parsing.
accesslog = None if os.environ.get("LOG_FORMAT", "plain").strip().lower() == "json" else "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Workers forked within this many seconds of each other were started together: the server
# started, was reloaded (HUP) or lost several at once.
BURST_SECONDS = 2.0
# A restart whose replacement never reported ready frees the token after this long.
RESTART_TOKEN_EXPIRY = 60.0
# One restart at a time, across the workers: a token file named after the master, created
# (O_EXCL, so by one worker only) by the worker that begins restarting and removed by its
# replacement once that one is ready to serve.
TOKEN_DIR = os.environ.get("GUNICORN_RESTART_TOKEN_DIR", "/tmp")


def _token(master_pid: int) -> str:
    return os.path.join(TOKEN_DIR, f"gunicorn-restart-{master_pid}")


def _take_token(master_pid: int) -> bool:
    path = _token(master_pid)
    for _ in range(2):
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            return True
        except FileExistsError:
            try:
                if time.time() - os.stat(path).st_mtime < RESTART_TOKEN_EXPIRY:
                    return False
                os.unlink(path)  # its replacement never came up: do not wait for ever
            except FileNotFoundError:
                pass
    return False


def max_requests_for(position: int, workers: int, base: int) -> int:
    """The request limit of the worker started `position`-th in a burst: evenly spread over
    [base, 2 × base), so with the load shared evenly the workers reach their limits
    base / workers requests apart. A worker forked on its own (it replaces one that
    restarted) gets `base` exactly, which keeps the spacing for the next rounds."""
    if base <= 0:
        return 0
    return base + (position % max(workers, 1)) * base // max(workers, 1)


def pre_fork(server, worker) -> None:
    """In the master, before each fork: the worker's own limit. gunicorn's check is switched
    off (max_requests = maxsize) so that post_request decides when it may go."""
    if server.cfg.max_requests <= 0:
        return
    now = time.monotonic()
    last = getattr(server, "_last_fork", None)
    position = server._burst_position + 1 if last is not None and now - last < BURST_SECONDS else 0
    server._last_fork, server._burst_position = now, position
    worker.restart_after = max_requests_for(position, server.cfg.workers, server.cfg.max_requests)
    worker.forked_at = time.time()
    worker.max_requests = sys.maxsize
    server.log.info("Worker %s will restart after %d requests", worker.age, worker.restart_after)


def post_request(worker, req, environ, resp) -> None:
    """In the worker, after each request: past its limit it restarts, unless another worker
    is restarting right now; then it keeps serving and asks again after its next request.
    Load is not shared evenly (whichever worker accepts first serves), and the one left
    alone while another restarts serves everything, so staggered limits alone still let
    two restart together; this token does not."""
    limit = getattr(worker, "restart_after", 0)
    if not limit or worker.nr < limit or not worker.alive:
        return
    if not _take_token(worker.ppid):
        return
    worker.log.info("Autorestarting worker after current request (%d requests served).", worker.nr)
    worker.alive = False


def post_worker_init(worker) -> None:
    """In a new worker once the application is loaded: if it was forked after the restart in
    progress began, it is that restart's replacement (or serves in its place): the restart is
    over. A worker forked earlier that only now finished loading must not end it."""
    path = _token(worker.ppid)
    try:
        if os.stat(path).st_mtime <= getattr(worker, "forked_at", 0):
            os.unlink(path)
    except FileNotFoundError:
        pass


def on_starting(server) -> None:
    """In the master, before any worker: forget the metrics files of a previous run in
    PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode needs it emptied between
    runs, or the counters of processes long gone would be added up with ours)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory or not os.path.isdir(directory):
        return
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.unlink(os.path.join(directory, name))


def child_exit(server, worker) -> None:
    """In the master, when a worker exited (restarted, killed): its live gauges go; what it
    counted stays in the totals."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    """The master stops: leave no token behind."""
    try:
        os.unlink(_token(server.pid))
    except FileNotFoundError:
        pass
