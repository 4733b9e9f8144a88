"""The `postgresql` marker: the test needs PostgreSQL itself (COPY, row locks under real
concurrency, PostgreSQL's SQL or query plans, a backend it can cut).

On PostgreSQL (DATABASE_URL set, as in CI) a marked test runs in place like any other. On
another database (the embedded default, SQLite) it is neither skipped nor run on SQLite: it
runs in a child pytest against a private PostgreSQL server of this process (initdb on a free
port, as tests/scaleout does; never the shared server), and its outcome is the child's
(passed only if the child ran it and it passed). The server starts at the first such test and
stops at the end of the session; the child keeps its test database between tests
(`--reuse-db`), so only the first one pays for the migrations.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# Each test in the child has its own timeout (pyproject, 300 s); the batch may take that long per test.
PER_TEST_TIMEOUT = 300
_server = None
# Outcomes of the batch already run in a child, by node id: (passed, the child's output).
_outcomes: dict[str, tuple[bool, str]] = {}


def runs_on_postgresql() -> bool:
    # django_prometheus wraps the engine: "django_prometheus.db.backends.postgresql".
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _private_server():
    global _server
    if _server is None:
        # Imported here: a machine without PostgreSQL's server programs still runs the rest.
        from tests.scaleout.postgres_replica import PrivateServer

        server = PrivateServer()
        server.start()
        _server = server
    return _server


def _run_in_child(nodeids: list[str]) -> dict[str, tuple[bool, str]]:
    """Run the tests in one child pytest on the private server: passed means the child
    reports PASSED for it and no error (a teardown error comes on top of PASSED)."""
    server = _private_server()
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    environment["DATABASE_URL"] = server.url("courseplatform")
    environment["COLUMNS"] = "1000"  # whole node ids in the summary
    command = [sys.executable, "-m", "pytest", *nodeids, "-p", "no:randomly", "-p", "no:cacheprovider"]
    command += ["--reuse-db", "-q", "-rA", "--numprocesses=0"]
    timeout = PER_TEST_TIMEOUT * len(nodeids) + 120
    try:
        result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout)
        output = result.stdout + result.stderr
    except subprocess.TimeoutExpired as exc:
        output = f"still running after {timeout} s:\n{exc.stdout}"
    passed = set(re.findall(r"^PASSED (\S+)$", output, re.MULTILINE))
    broken = set(re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE))
    where = f"on a private PostgreSQL server ({len(nodeids)} test(s) of this module in one child pytest):\n"
    return {nodeid: (nodeid in passed and nodeid not in broken, where + output) for nodeid in nodeids}


class OnPrivatePostgreSQL(pytest.Item):
    """Stands in for a marked test when the suite is not on PostgreSQL: same node id, same
    markers, no fixtures of its own (the child sets up the test's fixtures). The first one of
    a module to run runs all of the module's in one child (pytest-xdist's `loadgroup` sends
    them to the same process), so the child's start and test database are paid once."""

    def runtest(self) -> None:
        if self.test_id not in _outcomes:
            batch = [
                item.test_id
                for item in self.session.items
                if isinstance(item, OnPrivatePostgreSQL) and item.path == self.path and item.test_id not in _outcomes
            ]
            _outcomes.update(_run_in_child(batch))
        passed, output = _outcomes.pop(self.test_id)
        if not passed:
            pytest.fail(output, pytrace=False)

    def reportinfo(self):
        return self.path, None, f"{self.name} (on a private PostgreSQL server)"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist gives the grouped node ids their "@group"
def pytest_collection_modifyitems(config, items):
    if runs_on_postgresql():
        return
    marked = [index for index, item in enumerate(items) if item.get_closest_marker("postgresql")]
    per_module: dict[Path, int] = {}
    for index in marked:
        per_module[items[index].path] = per_module.get(items[index].path, 0) + 1
    for index in marked:
        item = items[index]
        stand_in = OnPrivatePostgreSQL.from_parent(item.parent, name=item.name)
        # The node id as the child knows it (under loadgroup, xdist appends "@group" to ours).
        stand_in.test_id = item.nodeid
        stand_in.own_markers.extend(item.own_markers)
        stand_in.keywords.update({mark.name: mark for mark in item.own_markers})
        # The first of the module runs them all: its timeout covers the batch.
        stand_in.add_marker(pytest.mark.timeout(PER_TEST_TIMEOUT * per_module[item.path] + 120))
        stand_in.add_marker(pytest.mark.xdist_group(f"postgresql:{item.path}"))
        items[index] = stand_in


def pytest_sessionfinish(session):
    global _server
    if _server is not None:
        _server.stop()
        _server = None
