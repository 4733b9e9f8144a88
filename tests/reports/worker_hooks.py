"""Loaded into the worker of the report durability tests (celery worker -I ...): points
the worker's file storage at the test's directory, uses small chunks, and slows each
chunk down (REPORTS_TEST_CHUNK_DELAY seconds) or kills the worker process at the first
chunk (REPORTS_TEST_KILL=1). It wraps the cohort report's chunk loader in this process
only; the product code has no hook for it."""

import os
import signal
import time

from django.conf import settings

from reports import generators

settings.MEDIA_ROOT = os.environ["REPORTS_TEST_MEDIA_ROOT"]
settings.REPORTS_CHUNK_SIZE = int(os.environ.get("REPORTS_TEST_CHUNK_SIZE", "1"))


_real_student_chunk = generators.student_chunk


def _slow_or_kill(frame, ids):
    if os.environ.get("REPORTS_TEST_KILL") == "1":
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(float(os.environ.get("REPORTS_TEST_CHUNK_DELAY", "0")))
    return _real_student_chunk(frame, ids)


generators.student_chunk = _slow_or_kill
