"""A request's first statement as its connection's health check, for the fast path.

With CONN_HEALTH_CHECKS Django checks a persistent connection before the first query of each
request with its own `SELECT 1` round trip (so that a connection PostgreSQL dropped, by a
restart, a failover or an idle timeout, is replaced instead of failing the request). A cached
page answered by courseplatform/fast_path.py costs two statements, so that check was a third
round trip, and a third of the database's share of the answer.

Inside `checks_connection()` the block's first statement is the check instead: when Django's
check is due it is marked done, and if the block fails because the connection is gone
(`OperationalError` or `InterfaceError`) the connection is closed and `StaleConnection` is
raised. The caller then lets the full path answer, which connects afresh, as Django's own check
would have. Only for reads outside a transaction: nothing is undone and nothing runs twice.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections


class StaleConnection(Exception):
    """The connection failed its first statement and was closed; the next one connects anew."""


@contextmanager
def checks_connection(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    connection = connections[using]
    due = (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    )
    if not due:
        yield
        return
    connection.health_check_done = True
    try:
        yield
    except (OperationalError, InterfaceError) as error:
        connection.close()
        raise StaleConnection(str(error)) from error
