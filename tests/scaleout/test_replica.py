"""Reports and exports read from a PostgreSQL replica when DATABASE_REPLICA_URL is set
(core/db_routing.py); writes, reads after writes and everything else stay on the primary.

The routing rules are tested in this process; the end-to-end test starts a real primary and
a streaming replica of it (pg_basebackup, hot standby: tests/scaleout/postgres_replica.py),
pauses the replica's replay, and shows that a report built by `manage.py build_report`
gathers its rows from the replica while its run is recorded on the primary."""

import csv
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from core import db_routing
from core.db_routing import PIN_COOKIE, PrimaryReplicaRouter, ReplicaPinningMiddleware, replica_reads
from curriculum.models import Course

from .postgres_replica import PrimaryAndReplica

router = PrimaryReplicaRouter()


@pytest.fixture
def with_replica(settings):
    """A replica configured (only the routing decisions are made here; no query is sent)."""
    settings.DATABASE_REPLICA_URL = "postgres://postgres@replica.internal:5432/courseplatform"
    settings.DATABASE_REPLICA_PIN_SECONDS = 15


def test_without_a_replica_even_report_reads_use_the_primary():
    with replica_reads():
        assert router.db_for_read(Course) == "default"
    assert router.db_for_write(Course) == "default"


def test_only_reads_inside_replica_reads_go_to_the_replica(with_replica):
    assert router.db_for_read(Course) == "default"
    with replica_reads():
        assert router.db_for_read(Course) == "replica"
        assert router.db_for_write(Course) == "default"
    assert router.db_for_read(Course) == "default"


@pytest.mark.django_db
def test_a_transaction_reads_its_own_writes_from_the_primary(with_replica):
    with replica_reads(), transaction.atomic():
        assert connection.in_atomic_block
        assert router.db_for_read(Course) == "default"


def test_nothing_is_ever_migrated_on_the_replica():
    assert router.allow_migrate("default", "submissions") is True
    assert router.allow_migrate("replica", "submissions") is False


def _answer(request):
    with replica_reads():
        where = router.db_for_read(Course)
    if request.method == "POST":
        router.db_for_write(Course)
    return HttpResponse(where)


def test_a_request_that_wrote_pins_the_person_to_the_primary(with_replica):
    middleware = ReplicaPinningMiddleware(_answer)
    posted = middleware(RequestFactory().post("/portfolio/publish/1/"))
    assert posted.content == b"replica"  # the write itself happens after this read
    assert posted.cookies[PIN_COOKIE]["max-age"] == 15
    assert posted.cookies[PIN_COOKIE]["httponly"]

    read = RequestFactory().get("/portfolio/export.zip")
    read.COOKIES[PIN_COOKIE] = "1"
    answer = middleware(read)
    assert answer.content == b"default"
    assert PIN_COOKIE not in answer.cookies


def test_a_read_only_request_without_the_pin_reads_from_the_replica_and_sets_no_pin(with_replica):
    answer = ReplicaPinningMiddleware(_answer)(RequestFactory().get("/reports/gradebook/x.csv"))
    assert answer.content == b"replica"
    assert PIN_COOKIE not in answer.cookies


def test_a_streamed_export_keeps_the_pin_of_its_request(with_replica):
    def streamed(request):
        where = (router.db_for_read(Course) for _ in range(1))
        return StreamingHttpResponse(db_routing.replica_reads_while_streaming(where))

    request = RequestFactory().get("/reports/gradebook/x.csv")
    request.COOKIES[PIN_COOKIE] = "1"
    response = ReplicaPinningMiddleware(streamed)(request)
    # The content is produced after the middleware returned, as a server streams it.
    assert b"".join(response.streaming_content) == b"default"
    unpinned = ReplicaPinningMiddleware(streamed)(RequestFactory().get("/reports/gradebook/x.csv"))
    assert b"".join(unpinned.streaming_content) == b"replica"


def test_without_a_replica_the_pinning_middleware_is_not_used():
    from django.core.exceptions import MiddlewareNotUsed

    with pytest.raises(MiddlewareNotUsed):
        ReplicaPinningMiddleware(_answer)


# --- A real streaming replica --------------------------------------------------------------


@pytest.fixture
def postgres_pair():
    pair = PrimaryAndReplica()
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()


def _manage(arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _names_in(path) -> str:
    with open(path, newline="", encoding="utf-8") as handle:
        return "\n".join(",".join(row) for row in csv.reader(handle))


SEED = """
import datetime
from cohorts.models import Membership
from curriculum.selectors import course_default
from tests.factories import CohortFactory, MembershipFactory, UserFactory
cohort = CohortFactory(course=course_default(), slug="replica-cohort", start_date=datetime.date(2026, 9, 7))
UserFactory(is_staff=True, is_superuser=True, email="platform.admin@example.com")
MembershipFactory(cohort=cohort, role=Membership.Role.INSTRUCTOR)
MembershipFactory(cohort=cohort, user=UserFactory(name="Early Joiner"))
"""


def test_a_report_gathers_its_rows_from_a_real_replica_and_records_its_run_on_the_primary(postgres_pair, tmp_path):
    database = "courseplatform"
    postgres_pair.primary.sql(f"CREATE DATABASE {database}")
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_", "STORAGE_"))},
        "DJANGO_SETTINGS_MODULE": "courseplatform.settings",
        "DEBUG": "true",
        "DATABASE_URL": postgres_pair.primary.url(database),
        "DATABASE_REPLICA_URL": postgres_pair.replica.url(database),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "REDIS_URL": "",
    }
    # Migrations run on the primary only; the replica receives the schema by replication.
    _manage(["migrate", "--noinput", "-v0"], environment)
    _manage(["import_curriculum"], environment)
    _manage(["shell", "-c", SEED], environment)
    postgres_pair.wait_until_replica_caught_up()
    # The replica stops replaying the primary's changes: anything written from now on is on
    # the primary only, so whatever a report shows of it tells where the report read.
    postgres_pair.replica.sql("SELECT pg_wal_replay_pause()")
    _manage(
        [
            "shell",
            "-c",
            "from cohorts.models import Cohort; from tests.factories import MembershipFactory, UserFactory; "
            "MembershipFactory(cohort=Cohort.objects.get(slug='replica-cohort'), user=UserFactory(name='Late Joiner'))",
        ],
        environment,
    )
    build = ["build_report", "--kind", "cohort", "--format", "csv", "--cohort", "replica-cohort", "--no-progress"]
    _manage([*build, "--output", str(tmp_path / "from-replica.csv")], environment)
    rows = _names_in(tmp_path / "from-replica.csv")
    assert "Early Joiner" in rows
    assert "Late Joiner" not in rows, "the report read its rows from the primary"
    # The run itself (requested, claimed, finished) exists only on the primary: nothing in
    # the build read it from the replica, where it is not.
    assert postgres_pair.primary.sql("SELECT status FROM reports_reportrun", database) == "succeeded"
    assert postgres_pair.replica.sql("SELECT count(*) FROM reports_reportrun", database) == "0"

    postgres_pair.replica.sql("SELECT pg_wal_replay_resume()")
    postgres_pair.wait_until_replica_caught_up()
    _manage([*build, "--output", str(tmp_path / "caught-up.csv")], environment)
    assert "Late Joiner" in _names_in(tmp_path / "caught-up.csv")
