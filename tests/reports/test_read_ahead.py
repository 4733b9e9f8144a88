"""A cohort report built with its chunks read ahead (core.read_ahead: outside a transaction, on
PostgreSQL) is the report built one chunk after the other."""

import threading

import pytest
from django.db import transaction

from reports.models import ReportRun
from reports.services import report_build, report_request
from tests.reports.bulk import bulk_cohort


def built(people, kind, fmt, readers):
    """The file, and into `readers` whether read-ahead threads were alive at each progress step."""

    def progress(percent):
        readers.append(any(thread.name.startswith("read-ahead") for thread in threading.enumerate()))

    run = report_request(kind=kind, fmt=fmt, cohort=people.cohort, by=people.instructor, enqueue_build=False)
    run = report_build(run=run, on_progress=progress)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    with run.file.open("rb") as f:
        return f.read()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["cohort", "gradebook"])
def test_a_report_read_ahead_equals_the_report_read_in_turn(known, people, settings, kind):
    settings.REPORTS_CHUNK_SIZE = 2
    bulk_cohort(people.cohort, 12, mentor=people.mentor)  # + the known two: seven chunks
    readers_ahead, readers_in_turn = [], []
    ahead = built(people, kind, "csv", readers_ahead)
    with transaction.atomic():  # another connection would not see this block: read in turn
        in_turn = built(people, kind, "csv", readers_in_turn)
    assert any(readers_ahead) and not any(readers_in_turn)
    lines = ahead.decode().splitlines()
    assert len(lines) == 15 and sum("bulk" in line for line in lines) == 12
    assert ahead == in_turn
