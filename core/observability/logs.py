"""Log lines as plain text (the default, for people at a terminal) or as JSON, one object per
line (LOG_FORMAT=json, for a log collector). Both go through structlog, so lines from
django-structlog (request_started, request_finished, task_started…) and from the standard
logging of Django, Celery and our own modules carry the same context: the request id, the
user id, the route and, in a task, the id of the request that enqueued it."""

import structlog

LOG_FORMATS = ("plain", "json")

_SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _plain_renderer(logger, method_name: str, event_dict: dict) -> str:
    """`asctime LEVEL logger message key=value…`: the format the platform always printed,
    with structlog's context appended."""
    timestamp = event_dict.pop("timestamp", "")
    level = event_dict.pop("level", method_name).upper()
    name = event_dict.pop("logger", "")
    message = event_dict.pop("event", "")
    exception = event_dict.pop("exception", None)
    extras = " ".join(f"{key}={value!r}" for key, value in event_dict.items())
    line = f"{timestamp} {level} {name} {message}" + (f" {extras}" if extras else "")
    return f"{line}\n{exception}" if exception else line


def _drop_keys(*keys: str):
    def drop(logger, method_name: str, event_dict: dict) -> dict:
        for key in keys:
            event_dict.pop(key, None)
        return event_dict

    return drop


def logging_config(*, log_format: str, level: str, eager_tasks: bool) -> dict:
    """The LOGGING setting, and structlog configured to match."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    if log_format == "json":
        renderers = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        # What a standard logging call passes in `extra` (status_code…), minus Django's request
        # object, whose repr is noise, and the message the formatter already carries.
        foreign = [*_SHARED_PROCESSORS, structlog.stdlib.ExtraAdder(), _drop_keys("request", "message")]
    else:
        renderers = [structlog.processors.format_exc_info, _plain_renderer]
        foreign = list(_SHARED_PROCESSORS)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers],
                "foreign_pre_chain": foreign,
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # In-process (eager) tasks would log a line per task into every command's output.
            "celery.app.trace": {"level": "WARNING" if eager_tasks else "INFO"},
            # A line per request and per task is what a collector wants; at a terminal
            # runserver and the worker already print one.
            "django_structlog": {"level": "INFO" if log_format == "json" else "WARNING"},
        },
    }
