"""Loaded into the worker of the preview tests (celery worker -I ...): files in the test's own
media folder, so the test reads the thumbnail the worker wrote. Nothing of the product is
replaced."""

import os

from django.conf import settings

settings.MEDIA_ROOT = os.environ["PREVIEWS_TEST_MEDIA_ROOT"]
settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
