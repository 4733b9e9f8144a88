"""GET /metrics in-process: who may read it, what the scrape-time gauges say and what they
cost, and the observability settings checked at start-up."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from core.models import QueuedTask
from core.observability.metrics import SCRAPE_CACHE_KEY, read_scrape_gauges
from notifications.selectors import reminder_delivery_backlog
from rubrics.selectors import review_queue, review_queue_health
from tests.factories import CohortFactory, ReminderLogFactory, RevisionFactory, WeeklyWorkFactory
from tests.observability.support import METRICS_TOKEN

BASE_DIR = Path(django_settings.BASE_DIR)


@pytest.fixture
def fresh_gauges(settings):
    settings.METRICS_SCRAPE_CACHE_SECONDS = 15
    cache.delete(SCRAPE_CACHE_KEY)
    yield
    cache.delete(SCRAPE_CACHE_KEY)


def scrape(client: Client | None = None, **headers: str):
    return (client or Client()).get("/metrics", headers=headers)


@pytest.mark.django_db
def test_nobody_may_scrape_until_a_token_or_network_is_configured(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert scrape().status_code == 404
    assert scrape(Client(REMOTE_ADDR="127.0.0.1")).status_code == 404
    assert scrape(Authorization="Bearer anything-at-all-anything-at-all-xx").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["student", "other_student", "mentor", "foreign_mentor", "instructor", "admin"])
def test_signing_in_opens_nothing_whatever_the_role(settings, people, client_for, role, django_assert_num_queries):
    settings.METRICS_TOKEN = METRICS_TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    client = client_for(getattr(people, role))
    with django_assert_num_queries(0):  # refused before the session is read
        response = client.get("/metrics")
    assert response.status_code == 404 and b"django_http" not in response.content


@pytest.mark.django_db
def test_the_bearer_token_opens_the_metrics_and_a_wrong_one_is_forbidden(settings, fresh_gauges):
    settings.METRICS_TOKEN = METRICS_TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    assert scrape(Authorization=f"Bearer {METRICS_TOKEN}").status_code == 200
    assert scrape(Authorization=f"bearer {METRICS_TOKEN}").status_code == 200
    assert scrape(Authorization=f"Bearer {METRICS_TOKEN}x").status_code == 403
    assert scrape(Authorization=f"Basic {METRICS_TOKEN}").status_code == 404
    response = scrape()
    assert response.status_code == 404 and b"django_http" not in response.content


@pytest.mark.django_db
def test_an_allowed_network_may_scrape_unless_the_request_came_through_a_proxy(settings, fresh_gauges):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    inside = Client(REMOTE_ADDR="10.1.2.3")
    assert scrape(inside).status_code == 200
    assert scrape(Client(REMOTE_ADDR="10.2.0.1")).status_code == 404
    # A proxy on an allowed address forwards the public: its requests are not the scraper's.
    assert scrape(inside, **{"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    assert scrape(inside, **{"X-Real-IP": "203.0.113.9"}).status_code == 404
    # Answered before host validation, like the probes: Prometheus scrapes pods by address.
    assert inside.get("/metrics", HTTP_HOST="10.1.9.9:8000").status_code == 200
    assert inside.post("/metrics").status_code == 405


@pytest.mark.django_db
def test_the_review_queue_figures_follow_the_review_queue_rule(people):
    now = timezone.now()
    cohort = CohortFactory(review_deadline_hours=24)
    late = RevisionFactory(submitted_at=now - datetime.timedelta(hours=30))  # default deadline: 72 h
    RevisionFactory(
        work=WeeklyWorkFactory(cohort=cohort, enrolled=True), submitted_at=now - datetime.timedelta(hours=30)
    )
    RevisionFactory(submitted_at=now - datetime.timedelta(hours=1))

    queue = review_queue(people.admin, now=now)
    health = review_queue_health(now)
    assert health.waiting == len(queue) == 3
    assert health.overdue == sum(item.overdue for item in queue) == 1
    assert health.oldest_wait_seconds == pytest.approx((now - late.submitted_at).total_seconds())


def _seed(works: int) -> None:
    for hours in range(works):
        RevisionFactory(submitted_at=timezone.now() - datetime.timedelta(hours=hours + 1))
    QueuedTask.objects.create(task_name="core.dispatch_outbox")


@pytest.mark.django_db
@pytest.mark.parametrize("works", [2, 8])
def test_reading_every_scrape_gauge_costs_five_queries_whatever_the_size(course, works, django_assert_num_queries):
    _seed(works)
    with django_assert_num_queries(5):
        # 1 outbox: count and oldest pending
        # 2 review queue: the review deadlines in use
        # 3 review queue: waiting, overdue per deadline, oldest
        # 4 reminders: count and oldest per undelivered status
        # 5 report runs: count and oldest per unfinished status
        values = read_scrape_gauges()
    assert values["courseplatform_review_queue_works"] == [(("waiting",), works), (("overdue",), 0.0)]
    assert values["courseplatform_outbox_waiting_tasks"] == [((), 1.0)]
    assert None not in values.values()


@pytest.mark.django_db
def test_scrapes_within_the_cache_time_read_nothing_again(settings, fresh_gauges, django_assert_num_queries):
    settings.METRICS_TOKEN = METRICS_TOKEN
    _seed(1)
    first = scrape(Authorization=f"Bearer {METRICS_TOKEN}")
    assert b'courseplatform_review_queue_works{state="waiting"} 1.0' in first.content
    with django_assert_num_queries(0):
        second = scrape(Authorization=f"Bearer {METRICS_TOKEN}")
    assert b'courseplatform_review_queue_works{state="waiting"} 1.0' in second.content


@pytest.mark.django_db
def test_a_gauge_that_cannot_be_read_is_counted_as_an_error_not_a_failed_scrape(settings, fresh_gauges, monkeypatch):
    settings.METRICS_TOKEN = METRICS_TOKEN
    from courseplatform import metrics as domain_metrics

    def broken():
        raise RuntimeError("the selector broke")

    monkeypatch.setattr(domain_metrics, "reminder_delivery_backlog", broken)
    response = scrape(Authorization=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200
    assert b"courseplatform_scrape_gauge_errors 2.0" in response.content  # both reminder gauges
    assert b"courseplatform_review_queue_works" in response.content


@pytest.mark.django_db
def test_the_reminder_backlog_counts_undelivered_reminders_and_the_oldest_wait():
    now = timezone.now()
    old = ReminderLogFactory(status="pending")
    ReminderLogFactory(status="failed")
    ReminderLogFactory(status="sent")
    backlog = reminder_delivery_backlog(now)
    assert (backlog["pending"], backlog["sending"], backlog["failed"]) == (1, 0, 1)
    assert backlog["oldest_waiting_seconds"] == pytest.approx((now - old.created_at).total_seconds())


def _settings_result(overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    env.update({"DEBUG": "true", "DJANGO_SETTINGS_MODULE": "courseplatform.settings", **overrides})
    code = "from django.conf import settings; print(settings.TRACING_ENABLED, settings.LOG_FORMAT)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN must be at least 32 printable characters"),
        ({"METRICS_ALLOWED_NETWORKS": "10.0.0.0/8,nowhere"}, "METRICS_ALLOWED_NETWORKS: 'nowhere' is not an IP"),
        ({"METRICS_SCRAPE_CACHE_SECONDS": "900"}, "METRICS_SCRAPE_CACHE_SECONDS must be between 0 and 300"),
        ({"WORKER_METRICS_PORT": "70000"}, "WORKER_METRICS_PORT must be between 0 and 65535"),
        ({"WORKER_METRICS_ADDRESS": "everywhere"}, "WORKER_METRICS_ADDRESS must be an IP address"),
        ({"PROMETHEUS_MULTIPROC_DIR": "/nonexistent/prometheus"}, "PROMETHEUS_MULTIPROC_DIR must be an existing"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be one of plain, json, not 'xml'."),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT must be an http://"),
        ({"TRACING_SERVICE_NAME": "course platform"}, "TRACING_SERVICE_NAME must be 1–60 letters"),
    ],
)
def test_a_bad_observability_setting_stops_start_up_naming_it(overrides, message):
    result = _settings_result(overrides)
    assert result.returncode != 0
    assert message in result.stderr


def test_tracing_is_off_until_an_exporter_endpoint_is_set_and_logs_are_plain_by_default():
    assert _settings_result({}).stdout.split() == ["False", "plain"]
    result = _settings_result({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "LOG_FORMAT": "JSON"})
    assert result.stdout.split() == ["True", "json"]
