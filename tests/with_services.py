"""Run a command (the suite) against PostgreSQL and Redis, starting private ones when none is named.

    python -m tests.with_services python -m pytest ...      (what `make test` runs)

With DATABASE_URL set (in the environment or in .env, as the settings read it), the command
runs as it is, on the database and Redis named there: CI (`.ci/run`) names the machine's own.
Without it, a fresh machine's `make test` would otherwise run on the embedded defaults
(SQLite, local-memory cache), which the product never runs on in production and on which the
suite does not pass (docs/testing.md, "On the embedded defaults"). So this starts, for this
run only, a PostgreSQL server (initdb into a temporary directory, a free port, fsync off:
tests/scaleout/postgres_replica.PrivateServer, as the replica tests use) and a redis-server
(tests/redis_server.PrivateRedis), runs the command with DATABASE_URL and REDIS_URL naming
them, and stops and removes both afterwards, whatever the command's outcome (its exit status
is this one's). It needs PostgreSQL's server programs and redis-server (Debian's `postgresql`
and `redis-server`), which `make test` installs as root.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import environ

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "courseplatform"


def database_named() -> bool:
    """Whether the settings will find a DATABASE_URL: the environment, or .env read as
    courseplatform/settings.py reads it (django-environ's read_env, never overriding the
    environment; the command inherits what it added, as the settings would read it anyway)."""
    environ.Env.read_env(ROOT / ".env", overwrite=False)
    return bool(os.environ.get("DATABASE_URL"))


def run_with_private_services(command: list[str]) -> int:
    # Imported here: a machine that names its own database needs neither server's programs.
    from tests.redis_server import PrivateRedis
    from tests.scaleout.postgres_replica import PrivateServer

    postgres, redis = PrivateServer(), PrivateRedis()
    child = None

    def forward(signum, frame):
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    try:
        postgres.start()
        postgres.server.sql(f'CREATE DATABASE "{DATABASE}"')
        redis.start()
        environment = dict(os.environ, DATABASE_URL=postgres.url(DATABASE), REDIS_URL=redis.url)
        print(
            "No DATABASE_URL: the suite runs on a private PostgreSQL server "
            f"({postgres.url(DATABASE)}) and redis-server ({redis.url}), started for this run "
            "and removed after it. Set DATABASE_URL and REDIS_URL to use your own.",
            flush=True,
        )
        previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            child = subprocess.Popen(command, cwd=ROOT, env=environment)
            return child.wait()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        redis.stop()
        postgres.stop()


def main(command: list[str]) -> int:
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    if database_named():
        os.chdir(ROOT)
        os.execvp(command[0], command)
    return run_with_private_services(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
