"""Every model of the project's own apps has a factory, and every factory makes a valid
object that is saved as it was returned."""

import hashlib
import importlib
import inspect
import pkgutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from factory.django import DjangoModelFactory
from simple_history.models import HistoricalChanges

import tests.factories
from cohorts.models import Membership
from rubrics.models import Assessment
from submissions.models import WeeklyWork
from tests.factories import (
    K6_SUMMARY,
    ArtifactFactory,
    AssessmentFactory,
    PeerAssignmentFactory,
    PortfolioEntryArtifactFactory,
    RevisionArtifactFactory,
    RevisionFactory,
)


def _factories() -> list[type[DjangoModelFactory]]:
    """Every model factory defined in a module of tests/factories."""
    found = []
    for module_info in pkgutil.iter_modules(tests.factories.__path__):
        module = importlib.import_module(f"{tests.factories.__name__}.{module_info.name}")
        found += [
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, DjangoModelFactory) and cls.__module__ == module.__name__ and cls._meta.model
        ]
    return sorted(found, key=lambda cls: cls.__name__)


def _project_models() -> list:
    """Concrete models of the apps in this repository (not third-party apps, not the
    Historical* copies django-simple-history generates)."""
    project_apps = [config for config in apps.get_app_configs() if Path(config.path).parent == settings.BASE_DIR]
    return [
        model
        for config in project_apps
        for model in config.get_models()
        if not model._meta.proxy and not issubclass(model, HistoricalChanges)
    ]


FACTORIES = _factories()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


def test_every_project_model_has_a_factory():
    models = _project_models()
    with_factory = {factory_class._meta.model for factory_class in FACTORIES}
    missing = sorted(model._meta.label for model in models if model not in with_factory)
    assert {model._meta.app_label for model in models} >= {
        *("accounts", "api", "cohorts", "core", "curriculum"),
        *("notifications", "portfolios", "reports", "rubrics", "submissions"),
    }
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("factory_class", FACTORIES, ids=lambda cls: cls.__name__)
def test_factory_creates_a_valid_saved_object(factory_class):
    made = factory_class()

    assert made.pk is not None
    made.full_clean()
    stored = type(made)._base_manager.get(pk=made.pk)
    fields = [field.attname for field in type(made)._meta.concrete_fields]
    assert {name: getattr(stored, name) for name in fields} == {name: getattr(made, name) for name in fields}


# --- The rules the service-backed factories keep ---------------------------------------------


@pytest.mark.django_db
def test_a_revision_is_the_on_time_submission_of_an_enrolled_student():
    revision = RevisionFactory()

    work = revision.work
    assert (revision.number, revision.is_late, revision.submitted_by) == (1, False, work.student)
    assert work.state == WeeklyWork.State.SUBMITTED and work.latest_revision == revision
    assert Membership.objects.filter(cohort=work.cohort, user=work.student, role=Membership.Role.STUDENT).exists()
    assert revision.content["concept"]["text"].startswith("## Request path")


@pytest.mark.django_db
def test_an_artifact_digest_is_the_sha256_of_the_stored_file():
    artifact = ArtifactFactory()

    with artifact.file.open("rb") as stored:
        content = stored.read()
    assert content == K6_SUMMARY
    assert (artifact.sha256, artifact.size) == (hashlib.sha256(content).hexdigest(), len(content))
    assert artifact.file.name.startswith("evidence/") and artifact.original_name == "k6-summary.txt"


@pytest.mark.django_db
def test_a_revision_artifact_is_frozen_by_submitting_the_work():
    link = RevisionArtifactFactory()

    assert link.revision.work == link.artifact.work
    assert [a["sha256"] for a in link.revision.content["artifacts"]] == [link.artifact.sha256]


@pytest.mark.django_db
def test_an_assessment_scores_every_criterion_with_a_level_of_its_rubric_version():
    assessment = AssessmentFactory()

    scores = list(assessment.scores.select_related("criterion", "level"))
    assert {score.criterion for score in scores} == set(assessment.rubric.criteria.all())
    assert all(score.level.criterion == score.criterion for score in scores)
    assert assessment.score == Decimal("75.00") and assessment.rubric.is_frozen
    assert assessment.revision.work.state == WeeklyWork.State.ACCEPTED


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [Assessment.Kind.SELF, Assessment.Kind.PEER, Assessment.Kind.CALIBRATION])
def test_an_assessment_of_another_kind_is_made_by_who_may_make_it(kind):
    assessment = AssessmentFactory(kind=kind)

    work = assessment.revision.work
    assert assessment.decision == "" and work.state == WeeklyWork.State.SUBMITTED
    if kind == Assessment.Kind.SELF:
        assert assessment.scorer == work.student
    elif kind == Assessment.Kind.PEER:
        assert assessment.peer_assignment.reviewer == assessment.scorer
    else:
        assert assessment.calibration_run.mentors.filter(pk=assessment.scorer.pk).exists()


@pytest.mark.django_db
def test_a_peer_reviewer_is_another_student_of_the_authors_cohort():
    assignment = PeerAssignmentFactory()

    work = assignment.revision.work
    assert assignment.reviewer != work.student
    assert Membership.objects.get(cohort=work.cohort, user=assignment.reviewer).role == Membership.Role.STUDENT
    with pytest.raises(ValueError):
        PeerAssignmentFactory(revision=assignment.revision, reviewer=work.student)


@pytest.mark.django_db
def test_a_portfolio_entry_snapshots_the_accepted_revision_with_its_proofs():
    proof = PortfolioEntryArtifactFactory()

    entry = proof.entry
    assert entry.work.state == WeeklyWork.State.ACCEPTED and entry.revision == entry.work.latest_revision
    assert entry.portfolio.user == entry.work.student and entry.week_number == 1
    assert (proof.sha256, proof.size) == (proof.artifact.sha256, proof.artifact.size)
