"""Test settings: the real settings, with a fast password hasher and scratch file storage.

DATABASE_URL and REDIS_URL are honoured exactly as in production, so `make test` with
them set runs the suite against PostgreSQL and Redis.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 50)

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="courseplatform-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="courseplatform-test-static-")
SECURE_SSL_REDIRECT = False
MFA_REQUIRED_FOR_STAFF = False
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Tasks run in-process so a test sees their effect; the tests of the real worker, the
# broker outage and the outbox start their own worker and Redis and set the mode they need.
CELERY_TASK_ALWAYS_EAGER = True
