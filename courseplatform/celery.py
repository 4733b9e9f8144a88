"""The Celery application. Configuration comes from Django settings (the CELERY_* names in
courseplatform/settings.py); see docs/background-jobs.md.

    celery -A courseplatform worker --loglevel=INFO    # `make worker`
    celery -A courseplatform beat --loglevel=INFO      # `make beat` (schedule editable in the admin)

Tasks are defined with `core.tasks.durable_task` and started with `core.queue.enqueue`,
never with `.delay()`: see those modules for why.
"""

import os

from celery import Celery

from core.observability.celery import instrument_celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseplatform.settings")

app = Celery("courseplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task metrics, the request id in task logs and traces that go on into tasks (docs/operations.md).
instrument_celery(app)
