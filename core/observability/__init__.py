"""Seeing inside the running platform: Prometheus metrics (metrics.py, served by views.py
and, in Celery workers, by worker_server.py), JSON logs with request ids (logs.py,
middleware.py) and OpenTelemetry traces (tracing.py). See docs/operations.md."""
