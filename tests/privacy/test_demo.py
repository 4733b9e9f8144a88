import io

import pytest
from django.core.management import call_command

from privacy.models import DataExport, ErasureRequest


@pytest.mark.django_db
def test_seed_demo_shows_a_ready_archive_and_a_scheduled_erasure(demo):
    call_command("seed_demo", stdout=io.StringIO())  # run again, idempotent: still one of each
    export = DataExport.objects.get()
    assert export.status == DataExport.Status.SUCCEEDED and export.file
    erasure = ErasureRequest.objects.get()
    assert erasure.status == ErasureRequest.Status.SCHEDULED
    assert erasure.user.email.endswith("@demo.example") and erasure.requested_by.is_superuser
