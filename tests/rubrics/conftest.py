"""Helpers for the review tests: the default rubrics, real submissions through the workspace
services, and score dictionaries built from level points."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rubrics.models import Rubric
from rubrics.selectors import rubric_criteria
from rubrics.services import rubric_install_defaults
from submissions import services as submission_services
from submissions.models import Revision


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return settings.MEDIA_ROOT


@pytest.fixture
def rubric(course) -> Rubric:
    """The course-wide default weekly rubric (five criteria, levels worth 4 to 1)."""
    return rubric_install_defaults(course=course)[0]


def submit(student, cohort, number: int = 1, *, note: str = "", now: datetime.datetime | None = None, evidence=None):
    """Save a draft for week `number` and submit it as the next revision."""
    week = cohort.course.weeks.get(number=number)
    work = submission_services.work_get_or_create(student=student, cohort=cohort, week=week)
    submission_services.work_save_draft(
        work=work,
        content={
            "concept": {"text": f"## Request path\n\nThe ORM dominates ({number}).", "objective_ids": []},
            "decision": {"decision": "Add a covering index.", "rationale": "Cheapest fix."},
            "revision_note": note,
        },
        expected_version=work.draft_version,
        by=student,
    )
    if evidence is not None:
        submission_services.artifact_upload(
            work=work,
            upload=SimpleUploadedFile(evidence, b"p95=41ms at 200 req/s\n", content_type="text/plain"),
            proves="The p95 latency",
            by=student,
        )
    return submission_services.work_submit(work=work, by=student, now=now)


def scores_for(rubric: Rubric, points, comment: str = "") -> dict[int, tuple[int, str]]:
    """criterion id → (level id, comment), choosing the level worth `points` (one number
    for every criterion, or a list in criterion order)."""
    criteria = rubric_criteria(rubric)
    wanted = points if isinstance(points, list | tuple) else [points] * len(criteria)
    return {
        c.pk: (next(lv.pk for lv in c.levels.all() if lv.points == p), comment)
        for c, p in zip(criteria, wanted, strict=True)
    }


def post_data(rubric: Rubric, points, *, decision: str | None = None, feedback: str = "Solid work.") -> dict:
    """The scoring form as a browser posts it."""
    data = {"feedback": feedback}
    for criterion_id, (level_id, comment) in scores_for(rubric, points).items():
        data[f"criterion_{criterion_id}"] = str(level_id)
        data[f"comment_{criterion_id}"] = comment
    if decision:
        data["decision"] = decision
    return data


__all__ = ["submit", "scores_for", "post_data", "Revision"]
