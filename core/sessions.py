"""Django's database sessions, read with one plain SQL statement.

Every signed-in request reads its session; Django's database backend does it through the ORM
(`Session.objects.get(session_key=…, expire_date__gt=now)`), whose building and compilation cost
more CPU than PostgreSQL's answer on the primary key. This store reads the same row with SQL
written once, and is otherwise Django's: the same table, writes, expiry and clearing, so
sessions started before a deploy stay valid and `SESSION_ENGINE` can go back at any time.

(Sessions in the cache, Django's cached_db, were considered and left: a sign-out while Redis is
unreachable could leave the session alive in Redis once it comes back.)
"""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
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
            cursor.execute(sql, [self.session_key, now])
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
