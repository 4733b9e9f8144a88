"""Trigram indexes for finding a person by part of their name or e-mail address.

Django's case-insensitive "contains" is `UPPER(col::text) LIKE UPPER('%text%')`, which no
B-tree index can answer: without these, PostgreSQL reads every account to find the few that
match (the cohort page's search and person pickers). A GIN index of the same expression's
trigrams answers it. PostgreSQL only: SQLite (the embedded default) scans, as before.
"""

from django.db import migrations

INDEXES = {
    "user_name_upper_trgm": "UPPER(name::text) gin_trgm_ops",
    "user_email_upper_trgm": "UPPER(email::text) gin_trgm_ops",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON accounts_user USING gin ({expression})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_personal_access_token")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
