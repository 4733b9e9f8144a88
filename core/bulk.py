"""Many rows inserted without a model instance per row.

`QuerySet.bulk_create` builds an instance per row and then, for each row and each of the
model's fields, runs the field's pre-save and database preparation: for the reminder sweep's
38,000 log rows (16 fields) that machinery, and psycopg quoting every column of every row, cost
4.9 s of CPU, 1.8 s column by column (docs/performance.md). On PostgreSQL `insert_ignoring_conflicts`
sends each given column as one array (`INSERT … SELECT … FROM unnest(…)`) and the fields not
given once, as a value for every row; on other databases it is `bulk_create`.
"""

import json
from collections.abc import Sequence

from django.db import connections, models
from django.utils import timezone


def _fixed_value(field: models.Field, fixed: dict, now):
    """The value every row gets for a field not given per row: the caller's, the time for an
    auto_now(_add) field, else the field's default (as `bulk_create` would)."""
    if field.attname in fixed:
        return fixed[field.attname]
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


def insert_ignoring_conflicts(
    model: type[models.Model], *, rows: dict[str, Sequence], fixed: dict | None = None, batch_size: int = 500
) -> None:
    """Insert rows of `model`, leaving out any that a unique constraint already holds (as
    `bulk_create(ignore_conflicts=True)`). `rows` maps field attnames (`recipient_id`) to a
    sequence of values, one per row, all of the same length: plain values (str, int, bool,
    None), or for a JSONField anything it stores; `fixed` gives the value of other fields for
    every row. One statement per `batch_size` rows."""
    fixed = fixed or {}
    count = len(next(iter(rows.values()), ()))
    if count == 0:
        return
    connection = connections[model.objects.db]
    if connection.vendor != "postgresql":
        instances = [model(**{name: values[i] for name, values in rows.items()}, **fixed) for i in range(count)]
        model.objects.bulk_create(instances, ignore_conflicts=True, batch_size=batch_size)
        return
    now = timezone.now()
    per_row, constant = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.attname not in rows:
            continue
        (per_row if field.attname in rows else constant).append(field)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in [*per_row, *constant])
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in per_row)
    values = "".join(f", %s::{field.db_type(connection)}" for field in constant)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"SELECT *{values} FROM unnest({arrays}) ON CONFLICT DO NOTHING"
    )
    constants = [field.get_db_prep_save(_fixed_value(field, fixed, now), connection) for field in constant]
    with connection.cursor() as cursor:
        for start in range(0, count, batch_size):
            arrays_params = []
            for field in per_row:
                chunk = list(rows[field.attname][start : start + batch_size])
                if isinstance(field, models.JSONField):
                    chunk = [None if value is None else json.dumps(value, cls=field.encoder) for value in chunk]
                arrays_params.append(chunk)
            cursor.execute(sql, [*constants, *arrays_params])  # in the order the statement names them
