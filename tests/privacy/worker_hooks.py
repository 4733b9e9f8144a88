"""Loaded into the worker of the export durability test (celery worker -I ...): points the
worker's file storage at the test's directory and slows each evidence file's copy down by
PRIVACY_TEST_FILE_DELAY seconds, so the test can kill the worker mid-build. It wraps the
archive writer in this process only; the product code has no hook for it."""

import os
import time

from django.conf import settings

from privacy.archive import ZipArchive

settings.MEDIA_ROOT = os.environ["PRIVACY_TEST_MEDIA_ROOT"]

_real_add_file = ZipArchive.add_file


def _slow_add_file(self, path, source):
    time.sleep(float(os.environ.get("PRIVACY_TEST_FILE_DELAY", "0")))
    return _real_add_file(self, path, source)


ZipArchive.add_file = _slow_add_file
