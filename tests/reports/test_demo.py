import io

import pytest
from django.core.management import call_command

from reports.models import ReportRun


@pytest.mark.django_db
def test_seed_demo_leaves_one_finished_cohort_report_in_csv_and_pdf(demo):
    call_command("seed_demo", stdout=io.StringIO())  # run again, idempotent: still one of each
    runs = ReportRun.objects.filter(cohort__slug="demo-cohort", kind=ReportRun.Kind.COHORT)
    assert sorted(runs.values_list("format", "status", "requested_by__email")) == [
        ("csv", "succeeded", "instructor@demo.example"),
        ("pdf", "succeeded", "instructor@demo.example"),
    ]
    csv_run = runs.get(format="csv")
    with csv_run.file.open("rb") as f:
        text = f.read().decode()
    assert text.count("@demo.example") == 6  # one row per demo student
    assert "sam@demo.example,Maya Mentor," in text
