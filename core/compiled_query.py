"""A query that every request runs, turned into SQL once per process instead of once per request.

Django builds and compiles a QuerySet's SQL on every evaluation: for the navigation's row (four
subqueries) that took longer than PostgreSQL's answer, and a cached page runs it on every hit
for its key (core/pagecache.py). A CompiledQuery is written as the usual QuerySet, by the app
that owns the rule, as a function of one value (a person's id); it is compiled the first time
with a stand-in for that value, and afterwards only the SQL is executed with the real one.

Only for a query whose parameters are all fixed except that value (no `timezone.now()` or
settings read while building it). Rows are answered as tuples (or dicts by column name), with
the values the database driver gives: no model converters run (PostgreSQL's booleans are
booleans, SQLite's are 0 and 1), so a caller uses them as truthy values or as parts of a key.
"""

from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

# What the builder is called with: an id no row has, found again among the compiled parameters.
STAND_IN = -7_319_640_245_117


class CompiledQuery:
    def __init__(self, build: Callable[[int], QuerySet]) -> None:
        self.build = build
        self._compiled: dict[tuple[str, str], tuple[str, tuple, tuple[int, ...]]] = {}

    def _sql(self, using: str) -> tuple[str, tuple, tuple[int, ...]]:
        connection = connections[using]
        # The settings of an alias can change (tests swap databases): compiled per vendor too.
        identity = (using, connection.vendor)
        found = self._compiled.get(identity)
        if found is None:
            sql, params = self.build(STAND_IN).query.get_compiler(using).as_sql()
            positions = tuple(i for i, value in enumerate(params) if value == STAND_IN)
            if not positions:
                raise ValueError("The query does not use the value it is built for.")
            found = self._compiled[identity] = (sql, tuple(params), positions)
        return found

    def _execute(self, value: int, using: str) -> tuple[list[str], list[tuple]]:
        sql, params, positions = self._sql(using)
        bound = list(params)
        for position in positions:
            bound[position] = value
        with connections[using].cursor() as cursor:
            cursor.execute(sql, bound)
            return [column[0] for column in cursor.description], cursor.fetchall()

    def rows(self, value: int, *, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        """The rows as tuples, in the order of the QuerySet's columns."""
        return [tuple(row) for row in self._execute(value, using)[1]]

    def dicts(self, value: int, *, using: str = DEFAULT_DB_ALIAS) -> list[dict]:
        """The rows as dicts by column name (annotations by their alias; a name used twice fails)."""
        names, rows = self._execute(value, using)
        if len(set(names)) != len(names):
            raise ValueError(f"Columns with the same name: {names}")
        return [dict(zip(names, row, strict=True)) for row in rows]
