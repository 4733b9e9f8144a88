"""Loaded into the worker of the report durability tests (celery worker -I ...): points
the worker's file storage at the test's directory, uses small chunks, and slows each
chunk down (REPORTS_TEST_CHUNK_DELAY seconds) or kills the worker process at the first
chunk (REPORTS_TEST_KILL=1)."""

import os
import signal
import time

from django.conf import settings

from reports import generators

settings.MEDIA_ROOT = os.environ["REPORTS_TEST_MEDIA_ROOT"]
settings.REPORTS_CHUNK_SIZE = int(os.environ.get("REPORTS_TEST_CHUNK_SIZE", "1"))


def _slow_or_kill(chunks_done: int) -> None:
    if os.environ.get("REPORTS_TEST_KILL") == "1":
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(float(os.environ.get("REPORTS_TEST_CHUNK_DELAY", "0")))


generators.chunk_hooks.append(_slow_or_kill)
