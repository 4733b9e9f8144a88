"""A query that every request runs, turned into SQL once per process instead of once per request.

Django builds and compiles a QuerySet's SQL on every evaluation: for the navigation's row (four
subqueries) that took longer than PostgreSQL's answer, and a cached page runs it on every hit
for its key (core/pagecache.py). A CompiledQuery is written as the usual QuerySet, by the app
that owns the rule, as a function of one value (a person's id, a token's prefix); it is
compiled the first time with a stand-in for that value, and afterwards only the SQL is executed
with the real one.

Only for a query whose parameters are all fixed except that value (no `timezone.now()` or
settings read while building it). `rows` and `dicts` answer the values the database driver
gives: no model converters run (PostgreSQL's booleans are booleans, SQLite's are 0 and 1), so a
caller uses them as truthy values or as parts of a key. `objects` answers model instances as
iterating the QuerySet would (converters applied, select_related objects attached), through
the compiler kept from the first compilation. On PostgreSQL each is a statement prepared once
per connection (core/prepared.py).
"""

import copy
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

from core import prepared

# What the builder is called with: a value no row has, found again among the compiled parameters.
INT_STAND_IN = -7_319_640_245_117
STR_STAND_IN = "\x1fcompiled-query-stand-in\x1f"


class CompiledQuery:
    def __init__(self, build: Callable[[object], QuerySet], *, stand_in: object = INT_STAND_IN) -> None:
        self.build = build
        self.stand_in = stand_in
        self._compiled: dict[tuple[str, str], tuple] = {}

    def _compiler(self, using: str) -> tuple:
        """(compiler, sql, params, positions of the value), compiled once per alias and vendor
        (the settings of an alias can change: tests swap databases)."""
        connection = connections[using]
        identity = (using, connection.vendor)
        found = self._compiled.get(identity)
        if found is None:
            compiler = self.build(self.stand_in).query.get_compiler(using)
            sql, params = compiler.as_sql()
            positions = tuple(i for i, value in enumerate(params) if value == self.stand_in)
            if not positions:
                raise ValueError("The query does not use the value it is built for.")
            found = self._compiled[identity] = (compiler, sql, tuple(params), positions)
        return found

    def _bound(self, value: object, using: str) -> tuple:
        compiler, sql, params, positions = self._compiler(using)
        bound = list(params)
        for position in positions:
            bound[position] = value
        return compiler, sql, tuple(bound)

    def _execute(self, value: object, using: str) -> tuple[list[str], list[tuple]]:
        _, sql, bound = self._bound(value, using)
        with connections[using].cursor() as cursor:
            prepared.execute(cursor, sql, bound)
            return [column[0] for column in cursor.description], cursor.fetchall()

    def rows(self, value: object, *, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        """The rows as tuples, in the order of the QuerySet's columns."""
        return [tuple(row) for row in self._execute(value, using)[1]]

    def dicts(self, value: object, *, using: str = DEFAULT_DB_ALIAS) -> list[dict]:
        """The rows as dicts by column name (annotations by their alias; a name used twice fails)."""
        names, rows = self._execute(value, using)
        if len(set(names)) != len(names):
            raise ValueError(f"Columns with the same name: {names}")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def sql(self, value: object, *, using: str = DEFAULT_DB_ALIAS) -> tuple[str, tuple]:
        """Its SQL and parameters for `value`, for a statement that reads it with other
        queries in one round trip (see `objects_from_rows` for its model instances)."""
        _, sql, bound = self._bound(value, using)
        return sql, bound

    def column_count(self, *, using: str = DEFAULT_DB_ALIAS) -> int:
        """How many columns its rows have."""
        return self._compiler(using)[0].col_count

    def objects(self, value: object, *, using: str = DEFAULT_DB_ALIAS) -> list[Model]:
        """Model instances, as Django's ModelIterable makes them (for a QuerySet of models with
        select_related, without annotations or known related objects)."""
        return self.objects_from_rows(self._execute(value, using)[1], using=using)

    def objects_from_rows(self, rows: list[tuple], *, using: str = DEFAULT_DB_ALIAS) -> list[Model]:
        """What `objects` answers, from rows of this query's columns (as the driver gave them)
        that a larger statement read."""
        run = copy.copy(self._compiler(using)[0])
        run.connection = connections[using]
        return self._instances(run, [rows], using)

    @staticmethod
    def _instances(run, results, using: str) -> list[Model]:
        select, klass_info = run.select, run.klass_info
        if run.annotation_col_map:
            raise ValueError("objects() does not set annotations.")
        model_cls = klass_info["model"]
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, using)
        found = []
        for row in run.results_iter(results):
            obj = model_cls.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            found.append(obj)
        return found
