"""A larger statistics sample for the student of weekly work, PostgreSQL only.

Every per-student read of a cohort report, the at-risk rules and the reminder sweep is
"cohort = C AND student IN (a chunk of 200)", and the planner sizes it by the number of
distinct students it believes the table holds. ANALYZE's default sample (30,000 rows) sees a
few rows of each of many students and underestimates them: with 847,690 works of 37,038
students it estimated 15,565, so a chunk's 4,590 works became 10,889, and the reads joined to
them (objective judgements, evidence, scores) switched from index look-ups to scanning those
tables whole (a 3,334-student cohort's CSV: 13.3 s instead of 6.7 s, docs/performance.md).
A sample of 300,000 rows (statistics target 1,000) counts 37,038. ANALYZE runs here so that a
database upgraded in place plans with it at once. SQLite keeps no such statistics.
"""

from django.db import migrations

TARGET = 1000


def raise_target(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE submissions_weeklywork ALTER COLUMN student_id SET STATISTICS {TARGET}")
        schema_editor.execute("ANALYZE submissions_weeklywork (student_id)")


def restore_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE submissions_weeklywork ALTER COLUMN student_id SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("submissions", "0008_at_risk_covering_indexes")]

    operations = [migrations.RunPython(raise_target, restore_default, elidable=False)]
