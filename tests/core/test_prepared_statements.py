"""The statements every signed-in request runs are prepared once per PostgreSQL connection
(core/prepared.py), stay one counted query each, and answer what the plain statement answers;
elsewhere (SQLite, inside a transaction, the setting off) they are simply executed.

Transactional tests: pytest-django's usual test runs inside a transaction, where statements
are never prepared."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.selectors import USER_BY_ID
from core import prepared
from courseplatform.viewer import viewer_get
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)
ON_POSTGRESQL = connection.vendor == "postgresql"


def server_statements() -> set[str]:
    """The statements prepared on this connection, as the server lists them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def run(sql: str, params: tuple) -> tuple[list[tuple], list[str]]:
    """The rows of `sql` through prepared.execute, and the SQL Django saw."""
    with CaptureQueriesContext(connection) as seen, connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        rows = cursor.fetchall()
    return rows, [query["sql"] for query in seen.captured_queries]


def test_a_statement_is_prepared_once_per_connection_and_answers_as_the_plain_one():
    membership = MembershipFactory()
    sql = "SELECT role, cohort_id FROM cohorts_membership WHERE user_id = %s AND role LIKE 'stud%%'"
    expected = [(membership.role, membership.cohort_id)]
    first, first_sql = run(sql, (membership.user_id,))
    again, again_sql = run(sql, (membership.user_id,))
    assert first == again == expected
    assert len(first_sql) == len(again_sql) == 1  # one counted query each time; PREPARE is not one
    if ON_POSTGRESQL:
        assert first_sql[0].startswith("EXECUTE cp_") and first_sql[0] == again_sql[0]
        assert str(membership.user_id) in first_sql[0]  # its parameter, as Django logs parameters
        assert first_sql[0].split()[1].split("(")[0] in server_statements()
    else:
        assert first_sql[0].startswith("SELECT role")


@pytest.mark.postgresql  # pg_prepared_statements and DEALLOCATE are PostgreSQL's
def test_a_statement_the_server_forgot_is_prepared_again():
    membership = MembershipFactory()
    sql = "SELECT cohort_id FROM cohorts_membership WHERE user_id = %s"
    assert run(sql, (membership.user_id,))[0] == [(membership.cohort_id,)]
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a session pooler's DISCARD ALL does
    assert not server_statements()
    rows, seen = run(sql, (membership.user_id,))
    assert rows == [(membership.cohort_id,)]
    assert seen[-1].startswith("EXECUTE cp_") and len(server_statements()) == 1


def test_inside_a_transaction_or_with_the_setting_off_the_statement_is_plain(settings):
    from django.db import transaction

    membership = MembershipFactory()
    sql = "SELECT cohort_id FROM cohorts_membership WHERE user_id = %s"
    with transaction.atomic():
        rows, seen = run(sql, (membership.user_id,))
    assert rows == [(membership.cohort_id,)] and seen[0].startswith("SELECT cohort_id")
    settings.DATABASE_PREPARED_STATEMENTS = False
    rows, seen = run(sql, (membership.user_id,))
    assert rows == [(membership.cohort_id,)] and seen[0].startswith("SELECT cohort_id")


def test_the_viewer_and_compiled_queries_read_the_same_rows_prepared():
    membership = MembershipFactory()
    user = membership.user
    with CaptureQueriesContext(connection) as seen:
        viewer = viewer_get(user.pk)
        (found,) = USER_BY_ID.objects(user.pk)
    assert viewer.user == found == user and viewer.user.email == user.email
    assert [stamp.cohort_id for stamp in viewer.stamps] == [membership.cohort_id]
    assert len(seen.captured_queries) == 2
    if ON_POSTGRESQL:
        assert all(query["sql"].startswith("EXECUTE cp_") for query in seen.captured_queries)


def test_placeholders_become_positional_and_percent_signs_literal():
    assert prepared._positional("SELECT %s WHERE a LIKE 'x%%' AND b = %s") == (
        "SELECT $1 WHERE a LIKE 'x%' AND b = $2",
        2,
    )


@pytest.mark.postgresql  # only PostgreSQL's statements are prepared
def test_a_placeholder_count_that_does_not_match_is_refused():
    with connection.cursor() as cursor, pytest.raises(ValueError, match="2 placeholders for 1 parameters"):
        prepared.execute(cursor, "SELECT %s, %s", (1,))
