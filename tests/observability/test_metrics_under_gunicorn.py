"""The Prometheus endpoint of a real gunicorn with two workers (multiprocess mode): one scrape
adds up what both workers counted, carries the HTTP, database, cache, broker, outbox and
review-queue series, and is refused to anyone without the token."""

import datetime
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import PersonalAccessTokenFactory, RevisionFactory, UserFactory
from tests.observability.support import METRICS_TOKEN, Gunicorn, http
from tests.workers import SharedDatabase, celery_publishing_to, publish

REQUESTS = 40


def samples(text: str) -> dict[str, list[tuple[dict, float]]]:
    found: dict[str, list[tuple[dict, float]]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name].append((sample.labels, sample.value))
    return found


def total(found: dict, name: str, **labels: str) -> float:
    return sum(value for sample_labels, value in found[name] if labels.items() <= sample_labels.items())


@pytest.mark.django_db(transaction=True)
def test_one_scrape_adds_up_both_gunicorn_workers_and_anonymous_scrapes_are_refused(course, redis_server, tmp_path):
    RevisionFactory(submitted_at=timezone.now() - datetime.timedelta(days=5))  # past any review deadline
    RevisionFactory()  # submitted just now
    token = PersonalAccessTokenFactory(user=UserFactory(), scope="read")
    database = SharedDatabase()
    database.share()
    # Three tasks waiting on the broker, with no worker to take them.
    with celery_publishing_to(redis_server.url):
        for _ in range(3):
            publish("core.dispatch_outbox")
    multiprocess_dir = tmp_path / "prometheus"
    multiprocess_dir.mkdir()
    server = Gunicorn(
        database_url=database.url,
        redis_url=redis_server.url,
        PROMETHEUS_MULTIPROC_DIR=str(multiprocess_dir),
        METRICS_TOKEN=METRICS_TOKEN,
    ).start()
    try:
        me = f"{server.url}/api/v1/me/"
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(
                pool.map(lambda _: http(me, headers={"Authorization": f"Bearer {token.plaintext}"})[0], range(REQUESTS))
            )
        missing = http(f"{server.url}/api/v1/no-such-thing/")[0]
        anonymous = http(f"{server.url}/metrics")
        wrong_token = http(f"{server.url}/metrics", headers={"Authorization": "Bearer " + "x" * 40})
        authorized = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        # The first scrape reads the scrape-time gauges through the cache (a timed get), the
        # second one shows it.
        assert http(f"{server.url}/metrics", headers=authorized)[0] == 200
        status, headers, body = http(f"{server.url}/metrics", headers=authorized)
    finally:
        server.stop()

    assert statuses == [200] * REQUESTS and missing == 404
    assert (anonymous[0], wrong_token[0]) == (404, 403)
    assert b"django_http" not in anonymous[2] + wrong_token[2]
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=")
    found = samples(body.decode())

    # Both workers served (each wrote its own counter file) and the scrape, answered by one
    # of them, counts every request exactly once.
    pids = {path.stem.rsplit("_", 1)[1] for path in multiprocess_dir.glob("counter_*.db")}
    assert len(pids) >= 2, pids
    assert total(found, "django_http_requests_total_by_view_transport_method_total", view="api:me", method="GET") == (
        REQUESTS
    )
    assert total(found, "django_http_responses_total_by_status_view_method_total", status="200", view="api:me") == (
        REQUESTS
    )
    assert total(found, "django_http_responses_total_by_status_total", status="404") == 1
    # Latency per view, database and cache timings.
    assert total(found, "django_http_requests_latency_seconds_by_view_method_count", view="api:me") == REQUESTS
    assert total(found, "django_db_query_duration_seconds_count") >= REQUESTS  # the token lookup at least
    assert total(found, "courseplatform_cache_operation_seconds_count", operation="get") >= 1
    # Read at scrape time: the broker's queue, the outbox, the review queue.
    assert total(found, "courseplatform_celery_queue_length", queue="celery") == 3
    assert total(found, "courseplatform_celery_unacked_messages") == 0
    assert total(found, "courseplatform_outbox_waiting_tasks") == 0
    assert total(found, "courseplatform_review_queue_works", state="waiting") == 2
    assert total(found, "courseplatform_review_queue_works", state="overdue") == 1
    assert total(found, "courseplatform_review_queue_oldest_wait_seconds") >= 5 * 24 * 3600
    assert total(found, "courseplatform_scrape_gauge_errors") == 0
