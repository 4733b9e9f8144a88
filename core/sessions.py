"""Django's database sessions, read with one plain SQL statement.

Every signed-in request reads its session; Django's database backend does it through the ORM
(`Session.objects.get(session_key=…, expire_date__gt=now)`), whose building and compilation cost
more CPU than PostgreSQL's answer on the primary key. This store reads the same row with SQL
written once, and is otherwise Django's: the same table, writes, expiry and clearing, so
sessions started before a deploy stay valid and `SESSION_ENGINE` can go back at any time.

(Sessions in the cache, Django's cached_db, were considered and left: a sign-out while Redis is
unreachable could leave the session alive in Redis once it comes back.)

A request that read its session row already (courseplatform/fast_path.py, which then passed it
on) hands what it decoded to the store of the same request with `read_in_this_request`, so the
row is read once per request, not twice; nothing outlives the request.

The statement is prepared once per connection on PostgreSQL (core/prepared.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from core import prepared

# (session key, its decoded data) read from the database earlier in this request, used once.
_read_earlier: ContextVar[list | None] = ContextVar("session_read_earlier", default=None)


@contextmanager
def read_in_this_request(session_key: str, data: dict) -> Iterator[None]:
    """Inside the block, the first load of this session key answers `data` (just read from
    its row by this request) instead of reading the row again."""
    token = _read_earlier.set([session_key, data])
    try:
        yield
    finally:
        _read_earlier.reset(token)


class SessionStore(db.SessionStore):
    def load(self):
        earlier = _read_earlier.get()
        if earlier is not None and earlier[1] is not None and self.session_key and earlier[0] == self.session_key:
            data, earlier[1] = earlier[1], None
            return data
        return super().load()

    def read(self) -> tuple[str, dict] | None:
        """The row's data as stored and as decoded (load()'s answer), or None when there is no
        such session or it has expired."""
        row = self._get_session_from_db()
        return (row.session_data, self.decode(row.session_data)) if row is not None else None

    def _get_session_from_db(self):
        if not self.session_key:  # a key refused by the base class's validation, or none at all
            self._session_key = None
            return None
        using = router.db_for_read(self.model)
        connection = connections[using]
        quote = connection.ops.quote_name
        sql = (
            f"SELECT {quote('session_data')} FROM {quote(self.model._meta.db_table)} "
            f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            prepared.execute(cursor, sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return _Row(row[0])


class _Row:
    """What load() reads of the session's row."""

    __slots__ = ("session_data",)

    def __init__(self, session_data: str) -> None:
        self.session_data = session_data
