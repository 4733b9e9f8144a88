"""A private PostgreSQL primary and a streaming replica of it (pg_basebackup, hot standby) on
free ports, for the replica tests: never the shared server. PostgreSQL refuses to run as
root, so when the tests run as root the servers run as the `postgres` system user."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.redis_server import free_port


def _bindir() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are missing: apt-get install postgresql")


BINDIR = _bindir()


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(_as_server_user(command), capture_output=True, text=True, timeout=120, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result


class Server:
    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.port = free_port()
        self.data = root / name
        self.socket_dir = root / f"{name}-socket"
        self.log = root / f"{name}.log"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.socket_dir.mkdir(exist_ok=True)
        _chown(self.socket_dir)
        _run(
            [
                str(BINDIR / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1",
                "start",
            ]
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user([str(BINDIR / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
                capture_output=True,
                timeout=60,
            )

    def sql(self, statement: str, database: str = "postgres") -> str:
        result = subprocess.run(
            ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url(database), "-c", statement],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{statement} on {self.name}: {result.stderr}")
        return result.stdout.strip()


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


class PrimaryAndReplica:
    """`primary` takes writes; `replica` replays its WAL as a read-only hot standby."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="cp-test-pg-"))
        _chown(self.root)
        self.primary = Server("primary", self.root)
        self.replica = Server("replica", self.root)

    def start(self) -> None:
        _run([str(BINDIR / "initdb"), "-D", str(self.primary.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        with (self.primary.data / "postgresql.conf").open("a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n")
        self.primary.start()
        # -R writes standby.signal and the connection to the primary: the copy starts as a replica.
        _run(
            [
                str(BINDIR / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.primary.port),
                "-U",
                "postgres",
                "-D",
                str(self.replica.data),
                "-R",
                "-X",
                "stream",
            ]
        )
        self.replica.start()
        assert self.replica.sql("SELECT pg_is_in_recovery()") == "t"

    def load(self, database: str, source_url: str) -> None:
        """Create `database` on the primary as a copy of `source_url` (schema and rows)."""
        self.primary.sql(f'CREATE DATABASE "{database}"')
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--no-privileges", "-d", source_url], capture_output=True, timeout=300
        )
        if dump.returncode != 0:
            raise RuntimeError(dump.stderr.decode())
        restore = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.primary.url(database)],
            input=dump.stdout,
            capture_output=True,
            timeout=300,
        )
        if restore.returncode != 0:
            raise RuntimeError(restore.stderr.decode())

    def wait_until_replica_caught_up(self, timeout: float = 60) -> None:
        target = self.primary.sql("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.replica.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t":
                return
            time.sleep(0.1)
        raise AssertionError(f"the replica did not reach {target} within {timeout} s")

    def stop(self) -> None:
        self.replica.stop()
        self.primary.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateServer:
    """One private PostgreSQL server (no replica), for the tests that need PostgreSQL itself
    when the suite runs on SQLite (tests/on_postgresql.py)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="cp-test-pg-"))
        _chown(self.root)
        self.server = Server("main", self.root)

    def url(self, database: str) -> str:
        return self.server.url(database)

    def start(self) -> None:
        _run([str(BINDIR / "initdb"), "-D", str(self.server.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        with (self.server.data / "postgresql.conf").open("a") as conf:
            # Throwaway data: a commit need not reach the disk (the shared test server's setting too).
            conf.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        self.server.start()

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.root, ignore_errors=True)
