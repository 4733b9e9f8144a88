"""The planner's sample of weekly work's students (submissions migration 0009).

The per-student reads of reports, the at-risk rules and the sweep are sized by how many
distinct students PostgreSQL believes the works table holds; with its default sample it
believed 15,565 of 37,038 at 847,690 works and scanned whole tables for a chunk of students
(docs/performance.md, "A report slower in a bigger database"). The effect needs a database of
that size to show, so the bench measures it; this checks the setting every database gets."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


def _statistics_target(table: str, column: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s",
            [table, column],
        )
        (target,) = cursor.fetchone()
    return target


def test_the_works_student_column_is_sampled_ten_times_the_default():
    with connection.cursor() as cursor:
        cursor.execute("SHOW default_statistics_target")
        (default,) = cursor.fetchone()
    assert _statistics_target("submissions_weeklywork", "student_id") == 10 * int(default) == 1000


def test_other_columns_keep_the_default():
    # -1 (PostgreSQL 15) or NULL (17): the server's default_statistics_target
    assert _statistics_target("submissions_weeklywork", "cohort_id") in (-1, None)
