"""OpenTelemetry traces of Django requests, psycopg queries, Redis calls and Celery tasks,
exported over OTLP/HTTP. Off unless an exporter endpoint is configured
(OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; settings.TRACING_ENABLED).

Called once per process that serves: the WSGI/ASGI modules for the web, the worker's
worker_process_init signal for each Celery pool child (the exporter's thread must start
after the fork). A task carries the trace context of the request that published it in its
headers (the Celery instrumentation injects and extracts it), so a request's trace goes on
into the tasks it enqueued.
"""

import logging

from django.conf import settings

logger = logging.getLogger(__name__)

# Probes and scrapes every few seconds would drown the traces people look at.
EXCLUDED_URLS = "healthz,readyz,metrics"

_configured: dict[str, str] = {}


def configure_tracing(service_name: str) -> bool:
    """Install the tracer provider and instrument the libraries; True when tracing is on.
    Safe to call twice (the second call does nothing)."""
    if not settings.TRACING_ENABLED:
        return False
    if _configured:
        return True
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    # The exporter reads the endpoint, headers and timeout from the standard OTEL_* variables.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument(excluded_urls=EXCLUDED_URLS)
    PsycopgInstrumentor().instrument(skip_dep_check=True)
    RedisInstrumentor().instrument()
    CeleryInstrumentor().instrument()
    _configured["service"] = service_name
    logger.info("Tracing on: %s exports spans over OTLP/HTTP", service_name)
    return True


def shutdown_tracing() -> None:
    """Send the spans still buffered (at a process's end)."""
    if not _configured:
        return
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if hasattr(provider, "shutdown"):
        provider.shutdown()
