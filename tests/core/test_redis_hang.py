"""A Redis that accepts connections but never answers (a private redis-server stopped with
SIGSTOP, used as both cache and broker): no request may take longer than the enqueue
timeout plus one cache timeout, and what a request asked for is kept in the outbox.

Before: sign-in 12.4 s (allauth's rate-limit lock deletes a key on every use, and deletes
skipped the cache's back-off), a report request 10.2 s (publishing waited for the broker's
10 s read timeout), API calls 12.1 s."""

import signal
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from core.models import QueuedTask
from core.queue import reset_broker_pause
from courseplatform.celery import app
from reports.models import ReportRun
from tests.factories import PersonalAccessTokenFactory
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.workers import celery_publishing_to

CACHE_TIMEOUT = 2.0  # the cache's socket timeout (settings: CACHES OPTIONS socket_timeout)
BOUND = settings.CELERY_ENQUEUE_TIMEOUT + CACHE_TIMEOUT + 0.5  # 0.5 s for the request's own work


@pytest.fixture
def hang(redis_cache):
    """The cache and the broker both on the private redis-server; calling the fixture's value
    stops it (SIGSTOP). Tests first serve the same requests once with Redis answering, as a
    running process would have (the very first request of a process loads templates, URLs...)."""
    with celery_publishing_to(redis_cache.url):
        try:
            yield lambda: redis_cache.process.send_signal(signal.SIGSTOP)
        finally:
            redis_cache.process.send_signal(signal.SIGCONT)


def as_a_fresh_process() -> None:
    """Forget the back-offs of earlier requests: each request is measured at its worst, as
    the first one a process serves after Redis hung."""
    cache._cache._skip_until = 0.0
    reset_broker_pause()
    if app._pool is not None:  # a new broker connection, as a worker process's first publish makes
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


def timed(call) -> tuple[float, object]:
    as_a_fresh_process()
    started = time.monotonic()
    response = call()
    elapsed = time.monotonic() - started
    print(f"\n{response.request['REQUEST_METHOD']} {response.request['PATH_INFO']}: {elapsed:.2f} s with Redis hung")
    return elapsed, response


def sign_in(user) -> Client:
    client = Client()
    assert client.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD}).status_code == 302
    return client


def test_sign_in_stays_fast_with_redis_hung(hang, people):
    sign_in(people.other_student).post(reverse("account_logout"))
    hang()
    client = Client()
    elapsed, response = timed(
        lambda: client.post(reverse("account_login"), {"login": people.student.email, "password": DEFAULT_PASSWORD})
    )
    assert response.status_code == 302
    assert elapsed < BOUND, f"sign-in took {elapsed:.1f} s"
    elapsed, response = timed(lambda: client.post(reverse("account_logout")))
    assert elapsed < BOUND, f"sign-out took {elapsed:.1f} s"


def test_a_report_request_stays_fast_and_is_kept_in_the_outbox(
    hang, people, client_for, django_capture_on_commit_callbacks
):
    client = client_for(people.instructor)
    body = {"kind": "cohort", "format": "csv", "cohort": people.cohort.pk}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("reports:list"), body).status_code == 302
    ReportRun.objects.all().delete()
    hang()
    with django_capture_on_commit_callbacks(execute=True):
        elapsed, response = timed(lambda: client.post(reverse("reports:list"), body))
    assert response.status_code == 302
    assert elapsed < BOUND, f"the report request took {elapsed:.1f} s"
    run = ReportRun.objects.get()
    kept = QueuedTask.objects.get()
    assert (kept.task_name, kept.args, kept.status) == ("reports.build_report", [run.pk], QueuedTask.Status.PENDING)


def test_api_calls_stay_fast_with_redis_hung(hang, people, django_capture_on_commit_callbacks):
    token = PersonalAccessTokenFactory(user=people.instructor, scope="read_write")
    api = Client(headers={"Authorization": f"Bearer {token.plaintext}"})
    body = {"kind": "cohort", "format": "csv", "cohort": people.cohort.slug}
    assert api.get("/api/v1/me/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/api/v1/reports/", body, content_type="application/json").status_code == 201
    ReportRun.objects.all().delete()
    hang()
    elapsed, response = timed(lambda: api.get("/api/v1/me/"))
    assert response.status_code == 200
    assert elapsed < BOUND, f"GET /api/v1/me/ took {elapsed:.1f} s"
    with django_capture_on_commit_callbacks(execute=True):
        elapsed, response = timed(lambda: api.post("/api/v1/reports/", body, content_type="application/json"))
    assert response.status_code == 201, response.content
    assert elapsed < BOUND, f"POST /api/v1/reports/ took {elapsed:.1f} s"
    assert QueuedTask.objects.filter(task_name="reports.build_report").count() == 1
