"""Web processes share nothing among themselves: with Redis and object storage configured,
every piece of state a second process (or host) would need lives in PostgreSQL, Redis or
the bucket. Read from the settings of a fresh process, as a deployment would start it."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils.module_loading import import_string

from core.cache import FailSoftRedisCache

PRODUCTION_LIKE = {
    "DEBUG": "false",
    "SECRET_KEY": "s" * 64,
    "DATABASE_URL": "postgres://app@db.internal:5432/courseplatform",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "STORAGE_BACKEND": "s3",
    "AWS_STORAGE_BUCKET_NAME": "courseplatform-files",
    "AWS_S3_ENDPOINT_URL": "https://s3.eu-west-1.amazonaws.com",
}


def _fresh_settings(overrides: dict[str, str], names: list[str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STORAGE_", "DJANGO_SETTINGS"))}
    env.update({"DJANGO_SETTINGS_MODULE": "courseplatform.settings", **overrides})
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}, default=str))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_with_redis_and_s3_no_state_stays_in_the_web_process():
    names = [
        "SESSION_ENGINE",
        "CACHES",
        "STORAGES",
        "CELERY_BROKER_URL",
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_BEAT_SCHEDULER",
        "PORTFOLIO_CACHE_HEADS",
        "MESSAGE_STORAGE",
    ]
    result = _fresh_settings(PRODUCTION_LIKE, names)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    # Sessions in the database: any web process can read the session another one started
    # (core.sessions is Django's database store, read with plain SQL).
    assert found["SESSION_ENGINE"] == "core.sessions"
    assert issubclass(import_string("core.sessions.SessionStore"), DatabaseSessionStore)
    # One cache for all: rate limits, sign-in guards, API throttles and page heads are counted
    # in Redis, never per process.
    # (Timed for /metrics by a subclass: core/observability/cache.py.)
    assert issubclass(import_string(found["CACHES"]["default"]["BACKEND"]), FailSoftRedisCache)
    assert found["CACHES"]["default"]["LOCATION"] == PRODUCTION_LIKE["REDIS_URL"]
    assert found["PORTFOLIO_CACHE_HEADS"] is True
    # Flash messages ride in the session or a signed cookie, never in process memory.
    assert found["MESSAGE_STORAGE"] == "django.contrib.messages.storage.fallback.FallbackStorage"
    # Uploads, reports and data archives in the bucket, not on one host's disk.
    assert found["STORAGES"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert found["STORAGES"]["default"]["OPTIONS"]["bucket_name"] == "courseplatform-files"
    # Tasks leave the web process through the broker; the schedule is in the database.
    assert found["CELERY_BROKER_URL"] == PRODUCTION_LIKE["REDIS_URL"]
    assert found["CELERY_TASK_ALWAYS_EAGER"] is False
    assert found["CELERY_BEAT_SCHEDULER"] == "core.beat:LockedDatabaseScheduler"


def test_setting_only_the_bucket_still_means_s3():
    result = _fresh_settings({"DEBUG": "true", "AWS_STORAGE_BUCKET_NAME": "courseplatform-files"}, ["STORAGE_BACKEND"])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"STORAGE_BACKEND": "s3"}


def test_nothing_set_keeps_files_on_local_disk():
    result = _fresh_settings({"DEBUG": "true"}, ["STORAGE_BACKEND", "STORAGES"])
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["STORAGE_BACKEND"] == "filesystem"
    assert found["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be filesystem or s3, not 'ftp'."),
        ({"STORAGE_BACKEND": "s3"}, "STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME"),
        ({"STORAGE_BACKEND": "s3", "AWS_STORAGE_BUCKET_NAME": "Files_Bucket"}, "(got 'Files_Bucket')"),
        (
            {"AWS_STORAGE_BUCKET_NAME": "files", "AWS_S3_ENDPOINT_URL": "minio:9000"},
            "AWS_S3_ENDPOINT_URL must be an http:// or https:// URL, not 'minio:9000'.",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "files", "AWS_ACCESS_KEY_ID": "AKIA123"},
            "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither.",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "files", "AWS_S3_ADDRESSING_STYLE": "dns"},
            "AWS_S3_ADDRESSING_STYLE must be auto, path or virtual, not 'dns'.",
        ),
        ({"CELERY_BEAT_LOCK_TTL": "1"}, "CELERY_BEAT_LOCK_TTL must be a number of seconds from 3 to 600."),
    ],
)
def test_a_bad_storage_or_beat_setting_stops_start_up_with_a_message(overrides, message):
    result = _fresh_settings({"DEBUG": "true", **overrides}, ["STORAGES"])
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_a_replica_url_adds_the_replica_database_and_the_router():
    result = _fresh_settings(
        {**PRODUCTION_LIKE, "DATABASE_REPLICA_URL": "postgres://app@replica.internal:5432/courseplatform"},
        ["DATABASES", "DATABASE_ROUTERS"],
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["DATABASES"]["replica"]["HOST"] == "replica.internal"
    assert found["DATABASES"]["replica"]["TEST"] == {"MIRROR": "default"}
    assert found["DATABASE_ROUTERS"] == ["core.db_routing.PrimaryReplicaRouter"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"DATABASE_REPLICA_URL": "sqlite:////tmp/copy.sqlite3"},
            "DATABASE_REPLICA_URL must name a replica of the DATABASE_URL database",
        ),
        ({"DATABASE_REPLICA_PIN_SECONDS": "-1"}, "DATABASE_REPLICA_PIN_SECONDS must be a number of seconds from 0"),
    ],
)
def test_a_bad_replica_setting_stops_start_up_with_a_message(overrides, message):
    result = _fresh_settings({**PRODUCTION_LIKE, **overrides}, ["DATABASES"])
    assert result.returncode != 0
    assert message in result.stderr
