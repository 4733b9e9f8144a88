"""Shared fixtures. The bundled curriculum is imported once per test database, and again,
committed, right after each test that flushed the database (a transactional one), so every
test finds it as the session began."""

import shutil
import threading
import time
import traceback
import warnings
import weakref
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.test import Client
from django.utils import timezone
from pytest_django.plugin import blocking_manager_key

from cohorts.models import Membership
from core import cache as fail_soft
from courseplatform.celery import app as celery_app
from curriculum.bloom import ensure_bloom_taxonomy
from curriculum.models import BloomLevel, BloomVerb, Course
from curriculum.selectors import course_default
from curriculum.services import curriculum_import, load_overlay
from tests import demo_snapshot
from tests.factories import CohortFactory, MembershipFactory, MentorAssignmentFactory, UserFactory
from tests.on_postgresql import OnPrivatePostgreSQL
from tests.redis_server import PrivateRedis

# The `postgresql` marker: on SQLite, such a test runs against a private PostgreSQL server.
pytest_plugins = ["tests.on_postgresql"]


def import_bundled_curriculum() -> Course:
    ensure_bloom_taxonomy(BloomLevel, BloomVerb)
    text = settings.CURRICULUM_DEFAULT_PATH.read_text(encoding="utf-8")
    report = curriculum_import(
        text=text,
        source_name=settings.CURRICULUM_DEFAULT_PATH.name,
        overlay=load_overlay(settings.CURRICULUM_OVERLAY_PATH),
    )
    return report.course


# Every database connection this process's main thread opens. Django keeps one per thread,
# except that while an asyncio loop runs in the thread (Playwright's sync API keeps one running
# from the first browser journey to the end of the session) it keeps them per context
# (asgiref's Local): the browser journeys then open a second connection beside the first, and
# closing "the" connection at the end closes only the one visible at that moment.
_main_thread_connections: weakref.WeakSet = weakref.WeakSet()
# Who opened each PostgreSQL backend of this process (by its pid): named in a warning if one is
# still connected when the test database is to be dropped.
_opened_by: dict[int, str] = {}
ROOT = Path(__file__).resolve().parent.parent
ROOT_PREFIX = f"{ROOT}/"


@receiver(connection_created)
def _remember_connection(sender, connection, **kwargs):
    if threading.current_thread() is threading.main_thread():
        _main_thread_connections.add(connection)
    if connection.vendor == "postgresql":
        stack = traceback.extract_stack(limit=40)[:-1]  # without this function
        ours = [
            f"{Path(f.filename).relative_to(ROOT)}:{f.lineno}"
            for f in stack
            if f.filename.startswith(ROOT_PREFIX) and "site-packages" not in f.filename
        ]
        _opened_by[connection.connection.info.backend_pid] = f"thread {threading.current_thread().name}: " + (
            " < ".join(reversed(ours[-6:])) or "(library code only)"
        )


def _others_connected() -> list[tuple[int, str]]:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT pid, state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchall()


# Autovacuum stays off the test database's tables, whatever the server's setting. A test's rows
# are uncommitted until its rollback, and a vacuum during the test does not count them: it wrote
# "0 rows" over tables full of a bulk-loaded cohort, the planner took them for empty, and one
# gradebook query ran for more than 14 minutes (a private server with autovacuum on, 5 December;
# the machine's shared server has it off, so CI never met it). Nothing here needs a vacuum: every
# test's rows are rolled back or flushed.
_NO_AUTOVACUUM = """
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = current_schema()
    LOOP
        EXECUTE 'ALTER TABLE ' || t.name || ' SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)';
    END LOOP;
END $$
"""


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        import_bundled_curriculum()
        if connections["default"].vendor == "postgresql":
            with connections["default"].cursor() as cursor:
                cursor.execute(_NO_AUTOVACUUM)
    yield
    # Before pytest-django drops the test database, which PostgreSQL refuses while another
    # connection uses it ("... is being accessed by other users"): close them all, whichever
    # context opened them.
    for wrapper in list(_main_thread_connections):
        wrapper.close()
    if connections["default"].vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        deadline = time.monotonic() + 10  # a live server's threads close theirs as their sockets close
        while (others := _others_connected()) and time.monotonic() < deadline:
            time.sleep(0.2)
        connections["default"].close()
    if others:
        warnings.warn(
            "Still connected to the test database at the end of the session (it cannot be dropped):\n"
            + "\n".join(
                f"pid {pid} ({state}), {_opened_by.get(pid, 'not opened by Django in this process')}"
                for pid, state in others
            ),
            pytest.PytestWarning,
            stacklevel=1,
        )


def _flushes_the_database(item: pytest.Item) -> bool:
    """What makes pytest-django run a test as a TransactionTestCase, which empties every table
    when it ends. Not a stand-in for a test run on a private PostgreSQL server: it carries the
    test's markers, but the test flushed the child's database, not this one."""
    if isinstance(item, OnPrivatePostgreSQL):
        return False
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(config, items):
    """A test that takes the `demo` fixture uses the database though it may carry no
    `django_db` marker (the fixture asks for `db` when it runs). pytest-django sets up only
    the databases that the collected tests' markers declare, so such a test run alone had no
    test database ("no such table" on SQLite): it gets the marker its fixture implies."""
    for item in items:
        if "demo" in getattr(item, "fixturenames", ()) and item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db(transaction=_flushes_the_database(item)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush, the curriculum is imported again and committed.
    Without it every later test of the process imported it inside its own rolled-back
    transaction (the `course` fixture), about a second of CPU per test."""
    try:
        return (yield)
    finally:
        # Not after the process's last test (no next item): its teardown has already dropped the
        # test database and pointed the connection back at the real one.
        if nextitem is not None and _flushes_the_database(item):
            with item.config.stash[blocking_manager_key].unblock():
                if course_default() is None:
                    import_bundled_curriculum()
                # Left open, this connection outlived the session after a browser journey
                # (Playwright's loop holds another context), and the test database was not dropped.
                connections.close_all()


@pytest.fixture
def course(db) -> Course:
    return course_default() or import_bundled_curriculum()


@pytest.fixture(scope="session")
def demo_builder(django_db_setup, django_db_blocker, tmp_path_factory, worker_id):
    """The demo of this test run, built the first time a test asks for it (and again if the
    day has changed since: its due dates count from the day it was built), shared by the
    pytest-xdist processes through the folder that holds their temporary folders."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # .../pytest-N/, above each process's popen-gwN/
    built: dict[str, demo_snapshot.DemoSnapshot] = {}

    def snapshot() -> demo_snapshot.DemoSnapshot:
        if "demo" not in built or built["demo"].built_on != timezone.localdate():
            with django_db_blocker.unblock():
                built["demo"] = demo_snapshot.shared_build(shared / f"demo-{timezone.localdate()}")
        return built["demo"]

    if demo_snapshot.can_share():
        snapshot()  # now, before the first test that asks for it opens its transaction
    return snapshot


@pytest.fixture
def demo(request, demo_builder, settings, tmp_path) -> demo_snapshot.DemoSnapshot:
    """The database holds exactly what `seed_demo` builds (its files in this test's
    MEDIA_ROOT), as if the test had just run it: built once per process and copied in
    (tests/demo_snapshot.py). It replaces every row, so a test asks for it before anything
    that writes (not `course` or `people`: the demo has its own copy of the curriculum).
    Gives what the build printed (`output`) and the e-mails it sent (`outbox`)."""
    request.getfixturevalue("transactional_db" if _flushes_the_database(request.node) else "db")
    settings.MEDIA_ROOT = tmp_path / "demo-media"
    if not demo_snapshot.can_share():
        course_default() or import_bundled_curriculum()
        return demo_snapshot.seed_here(settings.MEDIA_ROOT)
    snapshot = demo_builder()
    demo_snapshot.restore(snapshot, settings.MEDIA_ROOT)
    return snapshot


@pytest.fixture
def people(course) -> SimpleNamespace:
    """A cohort with one person in every role, plus the outsiders a permission test needs:
    another student of the same cohort, a mentor not assigned to the student, and a mentor
    and a student of another cohort."""
    cohort = CohortFactory(course=course)
    other_cohort = CohortFactory(course=course)
    ns = SimpleNamespace(cohort=cohort, other_cohort=other_cohort)
    ns.admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    ns.instructor = MembershipFactory(cohort=cohort, role=Membership.Role.INSTRUCTOR).user
    ns.mentor = MembershipFactory(cohort=cohort, role=Membership.Role.MENTOR).user
    ns.unassigned_mentor = MembershipFactory(cohort=cohort, role=Membership.Role.MENTOR).user
    ns.student = MembershipFactory(cohort=cohort, role=Membership.Role.STUDENT).user
    ns.other_student = MembershipFactory(cohort=cohort, role=Membership.Role.STUDENT).user
    ns.foreign_mentor = MembershipFactory(cohort=other_cohort, role=Membership.Role.MENTOR).user
    ns.foreign_student = MembershipFactory(cohort=other_cohort, role=Membership.Role.STUDENT).user
    ns.foreign_instructor = MembershipFactory(cohort=other_cohort, role=Membership.Role.INSTRUCTOR).user
    ns.stranger = UserFactory()
    MentorAssignmentFactory(cohort=cohort, mentor=ns.mentor, student=ns.student)
    MentorAssignmentFactory(cohort=cohort, mentor=ns.mentor, student=ns.other_student)
    MentorAssignmentFactory(cohort=other_cohort, mentor=ns.foreign_mentor, student=ns.foreign_student)
    return ns


@pytest.fixture
def client_for():
    """A test client signed in as the given user (or anonymous for None)."""

    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


def pytest_sessionstart(session):
    """test-artifacts/e2e/ shows the last run only. Cleared once, by the process that runs
    the session: under pytest-xdist the workers must not clear each other's screenshots."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(Path(__file__).resolve().parent.parent / "test-artifacts" / "e2e", ignore_errors=True)


@pytest.fixture
def eager_tasks():
    """The embedded default (no broker: tasks run in-process), whatever REDIS_URL says."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


@pytest.fixture
def redis_server():
    """A redis-server of the test's own, which it may stop and start (never the shared one)."""
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_cache(settings, redis_server):
    """The settings' Redis cache, pointed at the test's own redis-server."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailSoftRedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    yield redis_server
    # The failures this test provoked must not make later tests in this process distrust the cache.
    fail_soft._last_failure = float("-inf")
