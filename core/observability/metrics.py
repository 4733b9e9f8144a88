"""The platform's own Prometheus metrics, beside django-prometheus's HTTP, database and cache
series, and the exposition both the web endpoint and the worker's metrics server answer with.

Under gunicorn and the Celery prefork pool every process counts for itself: with
PROMETHEUS_MULTIPROC_DIR set, prometheus_client keeps each process's values in files there
and `exposition()` adds them up (the library's multiprocess mode; gunicorn's child_exit hook
and the worker's process-shutdown signal mark dead processes).

Some figures are not counted as things happen but read from the database or the broker when
Prometheus asks (the outbox, queue lengths, the review queue): `register_scrape_source`
adds some. They are read once per METRICS_SCRAPE_CACHE_SECONDS for all web processes (the shared
cache), so a scrape of every pod costs a handful of small queries at most.
"""

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

TASK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

CELERY_TASKS = Counter(
    "courseplatform_celery_tasks_total",
    "Celery tasks finished, by task name and outcome (succeeded, failed, retried).",
    ["task", "outcome"],
)
CELERY_TASK_DURATION = Histogram(
    "courseplatform_celery_task_duration_seconds",
    "How long a Celery task ran, by task name.",
    ["task"],
    buckets=TASK_BUCKETS,
)
CELERY_TASKS_PUBLISHED = Counter(
    "courseplatform_celery_tasks_published_total",
    "Celery tasks handed to the broker, by task name.",
    ["task"],
)
CACHE_OPERATION_DURATION = Histogram(
    "courseplatform_cache_operation_seconds",
    "How long a cache call took, by operation (get, set, delete, …).",
    ["operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
CACHE_GETS = Counter(
    "courseplatform_cache_gets_total",
    "Cache reads by result (hit or miss).",
    ["result"],
)


@dataclass(frozen=True)
class ScrapeGauge:
    name: str
    documentation: str
    labelnames: tuple[str, ...] = ()


# Label values (in the order of the gauge's labelnames) and the value.
Reading = tuple[tuple[str, ...], float]


@dataclass(frozen=True)
class ScrapeSource:
    """One read (a query or two) that gives the values of one or more gauges."""

    name: str
    gauges: tuple[ScrapeGauge, ...]
    read: Callable[[], dict[str, Iterable[Reading]]]


_sources: dict[str, ScrapeSource] = {}
SCRAPE_CACHE_KEY = "observability:scrape-gauges:v1"


def register_scrape_source(name: str, gauges: Iterable[ScrapeGauge], read: Callable[[], dict]) -> None:
    """Add gauges read when Prometheus scrapes: `read()` returns {gauge name: readings}.
    Registering the same source name again replaces it (an app's ready() may run twice)."""
    _sources[name] = ScrapeSource(name, tuple(gauges), read)


def scrape_gauges() -> list[ScrapeGauge]:
    return [gauge for source in _sources.values() for gauge in source.gauges]


def read_scrape_gauges() -> dict[str, list[Reading] | None]:
    """Every registered gauge's current values; None for those whose source failed (logged),
    so one broken figure never costs the others."""
    values: dict[str, list[Reading] | None] = {}
    for source in _sources.values():
        try:
            readings = source.read()
            for gauge in source.gauges:
                values[gauge.name] = [
                    (tuple(str(label) for label in labels), float(value))
                    for labels, value in readings.get(gauge.name, ())
                ]
        except Exception:  # a figure that cannot be read is reported as an error, not a failed scrape
            logger.exception("Could not read the metrics of %s", source.name)
            for gauge in source.gauges:
                values[gauge.name] = None
    return values


class ScrapeTimeCollector:
    """The registered scrape gauges, from the shared cache when a recent reading is there."""

    def collect(self):
        seconds = settings.METRICS_SCRAPE_CACHE_SECONDS
        values = cache.get(SCRAPE_CACHE_KEY) if seconds else None
        if values is None:
            started = time.perf_counter()
            values = read_scrape_gauges()
            if seconds:
                cache.set(SCRAPE_CACHE_KEY, values, seconds)
            yield GaugeMetricFamily(
                "courseplatform_scrape_gauges_read_seconds",
                "How long reading the scrape-time gauges took when they were last read by this process.",
                value=time.perf_counter() - started,
            )
        errors = 0
        for gauge in scrape_gauges():
            readings = values.get(gauge.name)
            if readings is None:
                errors += 1
                continue
            family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=list(gauge.labelnames))
            for labels, value in readings:
                family.add_metric(list(labels), value)
            yield family
        yield GaugeMetricFamily(
            "courseplatform_scrape_gauge_errors",
            "Scrape-time gauges that could not be read (see the log for why).",
            value=errors,
        )


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition(*, include_scrape_gauges: bool) -> tuple[bytes, str]:
    """The text Prometheus reads: every process's counters (added up in multiprocess mode)
    and, for the web endpoint, the scrape-time gauges."""
    if multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    if include_scrape_gauges:
        scrape_registry = CollectorRegistry(auto_describe=False)
        scrape_registry.register(ScrapeTimeCollector())
        body += generate_latest(scrape_registry)
    return body, CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """Drop a dead process's live gauges (multiprocess mode); its counters stay counted."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(pid)
