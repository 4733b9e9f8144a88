"""A cohort with hand-computable scores: the student's week 1 accepted at levels 4, 3, 2, 1, 4
(72.50) and week 2 sent back at 2 everywhere (50.00); another student's week 1 accepted at 4
(100.00). All dated in the cohort's first weeks (it starts on 7 September 2026)."""

import datetime
from types import SimpleNamespace

import pytest

from rubrics.models import Assessment, Rubric
from rubrics.services import assessment_record, rubric_install_defaults
from tests.rubrics.conftest import scores_for, submit

UTC = datetime.UTC


def at(day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(2026, 9, day, hour, tzinfo=UTC)


def review(revision, mentor, rubric, points, decision, when):
    return assessment_record(
        revision=revision,
        scorer=mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, points),
        feedback="Reviewed.",
        decision=decision,
        now=when,
    )


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


@pytest.fixture
def rubric(course) -> Rubric:
    return rubric_install_defaults(course=course)[0]


@pytest.fixture
def scored(people, rubric) -> SimpleNamespace:
    week1 = submit(people.student, people.cohort, 1, now=at(10))
    review(week1, people.mentor, rubric, [4, 3, 2, 1, 4], "accept", at(11))
    week2 = submit(people.student, people.cohort, 2, now=at(16))
    review(week2, people.mentor, rubric, 2, "request_changes", at(17))
    other = submit(people.other_student, people.cohort, 1, now=at(10))
    review(other, people.mentor, rubric, 4, "accept", at(12))
    return SimpleNamespace(week1=week1, week2=week2, other=other)
