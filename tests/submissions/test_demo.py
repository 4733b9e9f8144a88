import pytest
from django.core.management import call_command

from submissions.models import Artifact, Revision, RiskEntry, WeeklyWork

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_work_in_every_state_and_is_idempotent(demo):
    states = set(WeeklyWork.objects.values_list("state", flat=True))
    assert states >= {"draft", "submitted", "changes_requested", "resubmitted", "accepted"}
    assert Revision.objects.filter(is_late=True).exists()
    assert Revision.objects.filter(number=2).exists()
    assert Artifact.objects.filter(kind="file").exists() and RiskEntry.objects.filter(status="closed").exists()
    counts = (WeeklyWork.objects.count(), Revision.objects.count(), Artifact.objects.count(), RiskEntry.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counts == (
        WeeklyWork.objects.count(),
        Revision.objects.count(),
        Artifact.objects.count(),
        RiskEntry.objects.count(),
    )
