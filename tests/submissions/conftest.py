"""Fixtures for the workspace tests: files stored in a temporary media folder, small real
evidence files, and a helper that posts the whole workspace form."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from curriculum.models import Objective, QualityGate

# A valid 1×1 PNG and a minimal PDF header: real magic bytes, as `filetype` checks them.
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return settings.MEDIA_ROOT


def png(name="latency-chart.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def text_file(name="k6-summary.txt", body="p95=41ms at 200 req/s\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body.encode(), content_type="text/plain")


def workspace_post(work, **overrides) -> dict:
    """Every section of the workspace form filled in, as a browser would post it."""
    week = work.due_week
    data = {"draft_version": str(work.draft_version)}
    if work.is_capstone:
        data["deliverable_text"] = "## Contract tests\n\nAll 48 contract tests pass against the schema."
    else:
        objectives = list(Objective.objects.filter(week=week, kind="outcome").values_list("pk", flat=True))
        data["concept_text"] = "## Request lifecycle\n\nThe proxy adds **3 ms**; the ORM dominates."
        data["concept_objectives"] = [str(objectives[0]), str(objectives[1])]
        data["lab_text"] = "Traced 20 requests through nginx, the app and PostgreSQL."
        for gate in QualityGate.objects.filter(lab__week=week):
            data[f"gate_{gate.pk}_status"] = "passed"
            data[f"gate_{gate.pk}_note"] = f"Checked gate {gate.order} over three runs."
        data["retro_retain"] = "Measure before changing."
        data["retro_improve"] = "Start load tests on Tuesday."
        data["retro_scale"] = "Latency budget per endpoint."
    data.update(
        decision_options="A: add an index. B: cache the page.",
        decision_tradeoffs="Index: write cost. Cache: staleness.",
        decision_risks="Cache stampede at expiry.",
        decision_decision_points="Revisit if writes exceed 500/s.",
        decision_decision="Add a covering index.",
        decision_rationale="Cheapest fix for the dominant contributor.",
        criterion_0_criterion="Page latency",
        criterion_0_metric="p95",
        criterion_0_target="< 200 ms",
        criterion_0_measured="180 ms",
        next_actions="- Add the index in week 6",
        revision_note="",
    )
    data.update(overrides)
    return data
