"""One request followed through real processes: gunicorn (JSON logs, traces on) enqueues a
task that a real Celery worker runs. The worker's JSON log line carries the request id the
proxy sent, its spans continue the request's trace (exported over OTLP/HTTP to a collector
the test runs), and its own metrics endpoint counts the task."""

import uuid
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import PersonalAccessTokenFactory, UserFactory
from tests.observability.support import METRICS_TOKEN, Gunicorn, OtlpCollector, http, json_lines, wait_for
from tests.redis_server import free_port
from tests.workers import SharedDatabase, Workers

BUILD_TASK = "privacy.build_export"


@pytest.mark.django_db(transaction=True)
def test_a_request_id_and_trace_go_on_into_the_task_it_enqueued(course, redis_server, tmp_path):
    user = UserFactory()
    token = PersonalAccessTokenFactory(user=user, scope="read_write")
    database = SharedDatabase()
    database.share()
    collector = OtlpCollector()
    tracing = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        # Export within a fraction of a second instead of every 5 s.
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "LOG_FORMAT": "json",
    }
    worker_metrics_port = free_port()
    (tmp_path / "worker-metrics").mkdir()
    workers = Workers(redis_server, database)
    workers.extra_env = {
        **tracing,
        "WORKER_METRICS_PORT": str(worker_metrics_port),
        "WORKER_METRICS_ADDRESS": "127.0.0.1",
        "METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "worker-metrics"),
    }
    # The test stands where the proxy would: on loopback, one trusted proxy.
    web = Gunicorn(database_url=database.url, redis_url=redis_server.url, workers=1, TRUSTED_PROXY_COUNT="1", **tracing)
    request_id = f"proxy-{uuid.uuid4().hex}"
    with collector.running():
        try:
            workers.start()
            web.start()
            status, _headers, body = http(
                f"{web.url}/api/v1/me/exports/",
                method="POST",
                headers={"Authorization": f"Bearer {token.plaintext}", "X-Request-ID": request_id},
            )
            assert status == 201, body
            task_done = wait_for(
                lambda: next(
                    (
                        line
                        for line in json_lines(workers_log(workers))
                        if line.get("event") == "task_succeeded" and line.get("request_id") == request_id
                    ),
                    None,
                ),
                60,
                "the worker never logged the task with the request's id",
                workers_log(workers),
            )
            spans = wait_for(
                lambda: _journey_spans(collector),
                30,
                f"the spans of the request and its task never all arrived: {collector.spans}",
            )
            worker_metrics = http(
                f"http://127.0.0.1:{worker_metrics_port}/metrics",
                headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
            )
            worker_metrics_anonymous = http(f"http://127.0.0.1:{worker_metrics_port}/metrics")[0]
            worker_health = http(f"http://127.0.0.1:{worker_metrics_port}/healthz")[0]
        finally:
            web.stop()
            workers.stop_all()

    # The id the proxy sent is the request's, on the web's log line…
    finished = [line for line in web.json_lines() if line.get("event") == "request_finished"]
    assert finished, web.log.read_text()[-3000:]
    (line,) = [line for line in finished if line.get("request_id") == request_id]
    assert line["code"] == 201 and line["user_id"] == user.pk and line["route"] == "/api/v1/me/exports/"
    assert line["duration_ms"] > 0 and line["level"] == "info" and line["timestamp"].endswith("Z")
    # …and on the task's lines, in the worker.
    task_lines = [line for line in json_lines(workers_log(workers)) if line.get("task_id") == task_done["task_id"]]
    assert {line["event"] for line in task_lines} >= {"task_started", "task_succeeded"}
    assert {line["request_id"] for line in task_lines} == {request_id}
    assert [line["task"] for line in task_lines if line["event"] == "task_started"] == [BUILD_TASK]

    request_span, publish_span, run_span = spans
    assert request_span.service == "courseplatform-web" and run_span.service == "courseplatform-worker"
    assert request_span.trace_id == publish_span.trace_id == run_span.trace_id
    assert run_span.parent_span_id == publish_span.span_id
    same_trace = {span.name for span in collector.spans if span.trace_id == request_span.trace_id}
    if database.sqlite_path is None:
        assert any(span.startswith(("SELECT", "INSERT", "UPDATE")) for span in same_trace), same_trace
    assert any(name.startswith(("GET", "SET", "LPUSH", "EVALSHA", "PIPELINE", "MULTI")) for name in same_trace), (
        same_trace
    )

    assert worker_metrics[0] == 200 and worker_metrics_anonymous == 404 and worker_health == 200
    counted = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(worker_metrics[2].decode())
        for sample in family.samples
    }
    assert counted[("courseplatform_celery_tasks_total", (("outcome", "succeeded"), ("task", BUILD_TASK)))] == 1
    assert counted[("courseplatform_celery_task_duration_seconds_count", (("task", BUILD_TASK),))] == 1


def workers_log(workers: Workers) -> Path:
    return Path(workers.log.name)


def _journey_spans(collector: OtlpCollector):
    """The web's server span of the POST, its publish of the task and the worker's run of it."""
    spans = list(collector.spans)
    request = next((s for s in spans if s.service == "courseplatform-web" and s.name.startswith("POST")), None)
    publish = next((s for s in spans if s.name == f"apply_async/{BUILD_TASK}"), None)
    run = next((s for s in spans if s.name == f"run/{BUILD_TASK}"), None)
    return (request, publish, run) if request and publish and run else None
