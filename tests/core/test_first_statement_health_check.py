"""The fast path's first statement is its connection's health check (core/first_statement.py):
no `SELECT 1` round trip before a cached page, and a connection the server dropped (here cut
with pg_terminate_backend, as a PostgreSQL restart or failover cuts every connection) is
replaced: the page is answered by the full path on a new connection, then fast again.

Transactional: Django checks a connection only outside a transaction. The test client leaves
out Django's per-request connection bookkeeping, so each request is preceded by
`close_old_connections()`, as the WSGI handler's request_started signal does."""

import psycopg
import pytest
from django.db import close_old_connections, connection, connections
from django.urls import reverse

from tests.core.test_signed_in_fast_path import QUEUE, fast, warmed
from tests.rubrics.conftest import submit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mentor_client(people, client_for):
    submit(people.student, people.cohort)
    return warmed(client_for, people.mentor, QUEUE)


@pytest.fixture
def health_checks(monkeypatch) -> list[int]:
    """Each of Django's own connection checks (`is_usable`, its `SELECT 1`), as it runs."""
    checks: list[int] = []
    real = type(connections["default"]).is_usable

    def counted(self):
        checks.append(1)
        return real(self)

    monkeypatch.setattr(type(connections["default"]), "is_usable", counted)
    return checks


def new_request() -> None:
    """A request on a persistent connection well within its CONN_MAX_AGE (one opened earlier in
    a slow test run could pass its age and be closed instead of checked)."""
    connection.close()
    connection.ensure_connection()
    close_old_connections()
    assert connection.connection is not None and not connection.health_check_done  # the check is due


def test_a_fast_answer_sends_no_separate_health_check(mentor_client, health_checks):
    new_request()
    assert fast(mentor_client.get(QUEUE))
    assert health_checks == [] and connection.health_check_done
    # A page of the full path still has Django's check before its first query.
    new_request()
    assert mentor_client.get(reverse("notifications:list")).status_code == 200
    assert health_checks == [1]


@pytest.mark.postgresql  # cuts a PostgreSQL backend's connection
def test_a_connection_the_server_dropped_is_replaced_and_the_page_answered(mentor_client):
    new_request()
    cut_pid = connection.connection.info.backend_pid
    database = connection.settings_dict
    with psycopg.connect(
        dbname=database["NAME"], user=database["USER"], host=database["HOST"], port=database["PORT"], autocommit=True
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [cut_pid])
        # Gone from the server before the page is asked for (no fixed wait).
        for _ in range(200):
            if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [cut_pid]).fetchone():
                break
            other.execute("SELECT pg_sleep(0.05)")
    answer = mentor_client.get(QUEUE)
    assert answer.status_code == 200 and not fast(answer) and answer.page_cache == "hit"
    assert connection.connection.info.backend_pid != cut_pid
    new_request()
    assert fast(mentor_client.get(QUEUE))
