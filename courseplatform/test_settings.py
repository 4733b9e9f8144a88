"""Test settings: the real settings, with a fast password hasher and scratch file storage.

DATABASE_URL and REDIS_URL are honoured exactly as in production, so `make test` with
them set runs the suite against PostgreSQL and Redis.
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 50)
environ.Env.read_env(Path(__file__).resolve().parent.parent / ".env", overwrite=False)


def _redis_url_for_test_process(url: str, worker: str) -> str:
    """pytest-xdist runs the suite in several processes ("gw0", "gw1", …). Tests clear the
    cache, so each process takes its own Redis database: the one named in REDIS_URL plus
    1 + the worker number. (pytest-django gives each process its own test database too.)"""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + 1 + int(worker.removeprefix('gw'))}"))


if os.environ.get("REDIS_URL") and os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["REDIS_URL"] = _redis_url_for_test_process(os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"])

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405 (django_prometheus wraps the backend)
    # A test database is thrown away: a commit need not wait for its WAL to reach the disk.
    # This connection setting is the whole difference from production; the server's own
    # configuration is untouched, and the fault tests' private servers keep their defaults.
    _options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    _options["options"] = f"{_options.get('options', '')} -c synchronous_commit=off".strip()
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # In memory, and named so: pytest-django recognises SQLite by Django's own engine name only,
    # and under django_prometheus's wrapper it gave each xdist process the file
    # "test_<path of db.sqlite3>_gw0", in a directory that does not exist ("unable to open
    # database file" in every database test of `make test` on the embedded defaults). Each
    # process has its own in-memory database.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = ":memory:"  # noqa: F405
MEDIA_ROOT = tempfile.mkdtemp(prefix="courseplatform-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="courseplatform-test-static-")
SECURE_SSL_REDIRECT = False
MFA_REQUIRED_FOR_STAFF = False
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Tasks run in-process so a test sees their effect; the tests of the real worker, the
# broker outage and the outbox start their own worker and Redis and set the mode they need;
# the workers they start say CELERY_TASK_WORKER=1, so that a retry or a task started by a
# task goes through the broker as in production instead of running inside the worker.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_WORKER") != "1"
