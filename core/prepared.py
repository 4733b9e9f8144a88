"""Statements that every request runs, prepared once per PostgreSQL connection.

PostgreSQL parses and plans each statement it is sent. For the statement that reads the
signed-in viewer (courseplatform/viewer.py: their user row, unread count and membership
stamps) planning cost more than running it: 713 µs a call against 261 µs as a prepared
statement, measured from Python on the bench database (and 229 → 155 µs for the session's
row). The fast path's whole answer is those two statements, so on a two-core machine the
database's planning was a quarter of what a cached page cost.

`execute(cursor, sql, params)` runs `sql` through Django's cursor as `EXECUTE name(…)` of a
statement prepared on that connection the first time it is seen there. It stays one query
for Django (its counts, `django_assert_num_queries`, the debug toolbar, the metrics and the
traces see it, with its parameters); the `PREPARE` itself is connection set-up, sent on the
driver's connection as Django sends its own (the time zone, the health check), and not counted.

Where a statement cannot be prepared it is simply executed: another database than PostgreSQL,
inside a transaction (a failed `EXECUTE` there, if a pooler dropped the statement, would abort
the transaction instead of being retried), or with `DATABASE_PREPARED_STATEMENTS` off, which a
deployment behind PgBouncer in transaction pooling needs: there consecutive statements may
reach different server connections, and SQL-level `PREPARE` is not carried between them
(docs/deployment.md). A statement the server no longer knows (`DISCARD ALL` by a session
pooler, a reconnect this module did not see) is prepared again and executed once more.
"""

import hashlib
import re
import weakref

import psycopg
from django.conf import settings
from django.db import ProgrammingError
from django.db.backends.utils import CursorWrapper

# The statements prepared on each driver connection; forgotten with the connection.
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PLACEHOLDER = re.compile(r"%([%s])")


def _positional(sql: str) -> tuple[str, int]:
    """Django's `%s` placeholders as PostgreSQL's `$1, $2 …` (and `%%` as `%`), with their count."""
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        if match.group(1) == "%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(replace, sql), count


def _name(sql: str) -> str:
    # Named by the text, so a release that changes a statement prepares the new one beside it.
    return "cp_" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest()


def _preparable(cursor: CursorWrapper) -> bool:
    connection = cursor.db
    return (
        connection.vendor == "postgresql"
        and settings.DATABASE_PREPARED_STATEMENTS
        and not connection.in_atomic_block
        and connection.connection is not None
    )


def execute(cursor: CursorWrapper, sql: str, params: tuple | list) -> None:
    """`cursor.execute(sql, params)`, as a prepared statement where it can be (see above)."""
    if not _preparable(cursor):
        cursor.execute(sql, params)
        return
    driver_connection = cursor.db.connection
    known = _prepared.setdefault(driver_connection, set())
    name = _name(sql)
    positional, count = _positional(sql)
    if count != len(params):
        raise ValueError(f"{count} placeholders for {len(params)} parameters")
    call = f"EXECUTE {name}({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}"
    for attempt in (1, 2):
        if name not in known:
            with cursor.db.wrap_database_errors:  # Django's exceptions, as for any statement
                driver_connection.execute(f"PREPARE {name} AS {positional}")
            known.add(name)
        try:
            cursor.execute(call, params)
            return
        except ProgrammingError as error:
            if attempt == 2 or not isinstance(error.__cause__, psycopg.errors.InvalidSqlStatementName):
                raise
            known.discard(name)  # gone from the server: prepare it again
