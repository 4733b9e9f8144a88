"""`field__any_of=[...]`: the field's value is one of a list, the list sent as one parameter.

Django's `__in` makes one parameter per value: with thousands of ids (the 3,334 students at
risk of a cohort, kept in the cache as a list) preparing, compiling and adapting them, and
psycopg splitting the statement, cost more CPU than the database's answer (about a third of a
cold at-risk list's CPU). On PostgreSQL `any_of` is `= ANY(%s)` with the list as one array;
elsewhere it is `IN (...)`. The values are used as given (ints, strings): no field conversion.
Registered on every field by CoreConfig.ready()."""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> list:
        return list(self.rhs)

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not self.rhs:
            raise EmptyResultSet
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*lhs_params, *self.rhs]

    def as_postgresql(self, compiler, connection) -> tuple[str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not self.rhs:
            raise EmptyResultSet
        return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]


def register() -> None:
    Field.register_lookup(AnyOf)
