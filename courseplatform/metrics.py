"""The domain's scrape-time gauges for /metrics (core/observability/metrics.py reads them
when Prometheus asks, cached briefly). The composition layer registers them because each
reads a selector of the app that owns the rule; the plumbing knows no domain app."""

from core.observability.metrics import ScrapeGauge, register_scrape_source
from notifications.selectors import reminder_delivery_backlog
from reports.selectors import report_runs_backlog
from rubrics.selectors import review_queue_health


def read_review_queue() -> dict:
    health = review_queue_health()
    return {
        "courseplatform_review_queue_works": [(("waiting",), health.waiting), (("overdue",), health.overdue)],
        "courseplatform_review_queue_oldest_wait_seconds": [((), health.oldest_wait_seconds)],
    }


def read_reminders() -> dict:
    backlog = reminder_delivery_backlog()
    oldest = backlog.pop("oldest_waiting_seconds")
    return {
        "courseplatform_reminders": [((status,), count) for status, count in backlog.items()],
        "courseplatform_reminder_oldest_waiting_seconds": [((), oldest)],
    }


def read_reports() -> dict:
    backlog = report_runs_backlog()
    oldest = backlog.pop("oldest_queued_seconds")
    return {
        "courseplatform_report_runs": [((status,), count) for status, count in backlog.items()],
        "courseplatform_report_oldest_queued_seconds": [((), oldest)],
    }


def register() -> None:
    register_scrape_source(
        "review_queue",
        [
            ScrapeGauge(
                "courseplatform_review_queue_works",
                "Submitted work awaiting a mentor's review (waiting) and the part of it past its cohort's "
                "review deadline (overdue).",
                ("state",),
            ),
            ScrapeGauge(
                "courseplatform_review_queue_oldest_wait_seconds",
                "How long the oldest work awaiting review has waited since it was submitted.",
            ),
        ],
        read_review_queue,
    )
    register_scrape_source(
        "reminders",
        [
            ScrapeGauge(
                "courseplatform_reminders",
                "Reminders not delivered yet, by status (pending, sending, failed).",
                ("status",),
            ),
            ScrapeGauge(
                "courseplatform_reminder_oldest_waiting_seconds",
                "How long the oldest reminder still waiting for delivery has waited since it was recorded.",
            ),
        ],
        read_reminders,
    )
    register_scrape_source(
        "reports",
        [
            ScrapeGauge(
                "courseplatform_report_runs",
                "Report runs not finished, by status (queued, running, stalled).",
                ("status",),
            ),
            ScrapeGauge(
                "courseplatform_report_oldest_queued_seconds",
                "How long the oldest queued report run has waited to be started.",
            ),
        ],
        read_reports,
    )
