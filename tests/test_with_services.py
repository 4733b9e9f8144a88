"""`make test` on a machine that names no database: the suite gets a PostgreSQL server and a
redis-server of its own for the run (tests/with_services.py), real ones, removed afterwards."""

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

# What the suite would do first: reach both servers with the URLs it was given.
PROBE = textwrap.dedent(
    """
    import os, sys
    import psycopg, redis
    database, cache = os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
    with psycopg.connect(database) as connection:
        version = connection.execute("SHOW server_version_num").fetchone()[0]
    redis.Redis.from_url(cache).set("with-services-probe", "1", ex=60)
    print(database, cache, version, sep="\\n")
    sys.exit(int(sys.argv[1]))
    """
)


def _environment(**changes) -> dict:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update(changes)
    return environment


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        return False


def test_without_a_database_the_command_runs_on_private_servers_removed_afterwards():
    # A DATABASE_URL in .env would be used (as the settings use it): this checks the other case.
    assert not (ROOT / ".env").exists() or "DATABASE_URL" not in (ROOT / ".env").read_text()
    result = subprocess.run(
        [sys.executable, "-m", "tests.with_services", sys.executable, "-c", PROBE, "3"],
        cwd=ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 3, result.stderr  # the command's own exit status
    assert "No DATABASE_URL: the suite runs on a private PostgreSQL server" in result.stdout
    database, cache, version = result.stdout.strip().splitlines()[-3:]
    assert database.startswith("postgres://postgres@127.0.0.1:") and not database.endswith(":5432/courseplatform")
    assert cache.startswith("redis://127.0.0.1:") and ":6379/" not in cache
    assert int(version) >= 150000
    # Both stopped when the command ended: nothing listens on their ports any more.
    assert not _answers(database) and not _answers(cache)


def test_a_named_database_is_used_as_it_is():
    # The suite's own server, its maintenance database (the one DATABASE_URL names may not exist:
    # pytest-django made test_<name> beside it).
    suite = urlsplit(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres")
    named = suite._replace(path="/postgres").geturl()
    cache = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    result = subprocess.run(
        [sys.executable, "-m", "tests.with_services", sys.executable, "-c", PROBE, "0"],
        cwd=ROOT,
        env=_environment(DATABASE_URL=named, REDIS_URL=cache),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "No DATABASE_URL" not in result.stdout
    assert result.stdout.strip().splitlines()[:2] == [named, cache]


@pytest.mark.postgresql
@pytest.mark.django_db
def test_autovacuum_is_off_for_every_table_of_the_test_database():
    # tests/conftest.py: a vacuum during a test counted its uncommitted rows as none.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = current_schema()"
        )
        tables = cursor.fetchall()
    assert len(tables) > 50
    assert [name for name, options in tables if "autovacuum_enabled=false" not in (options or [])] == []
