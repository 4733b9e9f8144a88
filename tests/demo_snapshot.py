"""The demo that `seed_demo` builds, built once per test process and put back into a test's
database in about a second (the `demo` fixture in tests/conftest.py).

Building the demo takes 20-60 s on the 2-core machine; ten tests need it. The first of them
in the test run builds it inside a transaction, copies every table out (PostgreSQL's binary
`COPY ... TO STDOUT`) together with the files it wrote, and rolls back, so the database is
left as it was; the other pytest-xdist processes of the run wait for it and read the same
copy (`shared_build`: a file lock and a pickle beside pytest's temporary folders). Each test that asks for the demo then empties every table (`TRUNCATE`, inside
its own transaction when it has one, so its rollback brings the tables back) and copies the
rows in: the same rows, the same primary keys, the same files, as if it had run `seed_demo`
itself. Nothing is shared between tests but the bytes, so they stay independent of each other
and of their order.
"""

from __future__ import annotations

import fcntl
import io
import pickle
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test import TestCase, override_settings
from django.utils import timezone

# Written by `migrate` only, and the same in every copy of the test database.
UNTOUCHED_TABLES = {"django_migrations"}


@dataclass(frozen=True)
class DemoSnapshot:
    built_on: date  # the demo's due dates and "weeks behind" count from the day it was built
    tables: list[str]  # every table, emptied before the rows go back
    rows: list[tuple[str, bytes]]  # (table, binary COPY) of the tables that hold rows
    sequences: list[tuple[str, int]]  # (sequence, last value) as the build left them
    media: Path  # the files the build wrote (artifacts, previews, reports, the data export)
    output: str  # what `seed_demo` printed (passwords are printed on the first run only)
    outbox: list[mail.EmailMessage]  # the e-mails it sent, its on-commit deliveries included


def can_share() -> bool:
    """The copy is PostgreSQL's COPY; on SQLite (the embedded default) each test seeds its own."""
    return connection.vendor == "postgresql"


def seed_here(media: Path) -> DemoSnapshot:
    """`seed_demo` run in the test's own database, as a deployment runs it (committed: the
    deliveries it leaves for after its commit run too), with nothing copied."""
    out = io.StringIO()
    sent = len(mail.outbox)
    with override_settings(MEDIA_ROOT=str(media)), TestCase.captureOnCommitCallbacks(execute=True):
        call_command("seed_demo", stdout=out)
    return DemoSnapshot(timezone.localdate(), [], [], [], media, out.getvalue(), list(mail.outbox[sent:]))


def build(media: Path) -> DemoSnapshot:
    """Run `seed_demo` as a deployment does (committed: its on-commit callbacks run), take
    the copy, and roll everything back."""
    with transaction.atomic():
        seeded = seed_here(media)
        raw = connection.connection
        tables = sorted(set(connection.introspection.table_names()) - UNTOUCHED_TABLES)
        rows = []
        with raw.cursor() as cursor:
            for table in tables:
                quoted = connection.ops.quote_name(table)
                cursor.execute(f"SELECT EXISTS (SELECT FROM {quoted})")
                if not cursor.fetchone()[0]:
                    continue
                with cursor.copy(f"COPY {quoted} TO STDOUT (FORMAT binary)") as copy:
                    rows.append((table, b"".join(bytes(block) for block in copy)))
            cursor.execute(
                "SELECT sequencename, last_value FROM pg_sequences "
                "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
            sequences = cursor.fetchall()
        transaction.set_rollback(True)
    return DemoSnapshot(
        built_on=seeded.built_on,
        tables=tables,
        rows=rows,
        sequences=sequences,
        media=media,
        output=seeded.output,
        outbox=seeded.outbox,
    )


def shared_build(directory: Path) -> DemoSnapshot:
    """The demo built once for every process of this test run: the first to get here builds
    it (its process's database is as any other's: migrations and the curriculum), the others
    wait on the lock and read it."""
    directory.mkdir(parents=True, exist_ok=True)
    stored = directory / "snapshot.pickle"
    with (directory / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stored.exists():
            return pickle.loads(stored.read_bytes())
        snapshot = build(directory / "media")
        partial = directory / "snapshot.partial"
        partial.write_bytes(pickle.dumps(snapshot))
        partial.replace(stored)
        return snapshot


def restore(snapshot: DemoSnapshot, media: Path) -> None:
    """Replace every row of the database with the demo's, and its files into `media`. In a
    test's transaction the rollback undoes it; a transactional test's flush empties it."""
    shutil.copytree(snapshot.media, media, dirs_exist_ok=True)
    quote = connection.ops.quote_name
    with transaction.atomic():
        raw = connection.connection
        with raw.cursor() as cursor:
            # One statement, so that foreign keys between the tables do not stop it.
            cursor.execute("TRUNCATE " + ", ".join(quote(table) for table in snapshot.tables))
            # The rows were consistent when they were copied out: their foreign keys need no
            # check again. Left on, every row queued deferred checks that a test's teardown
            # (Django checks constraints before its rollback) then ran one by one: seconds.
            # Only for the copy: the test's own writes are checked as always.
            cursor.execute("SET session_replication_role = replica")
            for table, data in snapshot.rows:
                with cursor.copy(f"COPY {quote(table)} FROM STDIN (FORMAT binary)") as copy:
                    copy.write(data)
            cursor.execute("SET session_replication_role = DEFAULT")
            # Sequences are not transactional: they only ever move forward here, so an id the
            # demo used is never handed out again, nor one used since.
            names, values = zip(*snapshot.sequences, strict=True) if snapshot.sequences else ((), ())
            cursor.execute(
                "SELECT setval(format('%%I', s.sequencename)::regclass, GREATEST(s.last_value, v.value)) "
                "FROM unnest(%s::text[], %s::bigint[]) AS v(name, value) "
                "JOIN pg_sequences s ON s.sequencename = v.name AND s.schemaname = current_schema()",
                [list(names), list(values)],
            )
