"""A revision, and the artifacts it froze, can never be changed or deleted: not by a save,
not by a queryset, not through the admin."""

import pytest
from django.contrib.admin.sites import site
from django.db import transaction
from django.db.models.deletion import ProtectedError
from django.test import RequestFactory

from submissions import services
from submissions.models import Artifact, ImmutableError, Revision, RevisionArtifact, WeeklyWork
from tests.factories import WeeklyWorkFactory

from .conftest import png

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(people):
    work = WeeklyWorkFactory(cohort=people.cohort, student=people.student)
    artifact = services.artifact_upload(work=work, upload=png(), proves="Latency chart", by=people.student)
    revision = services.work_submit(work=work, by=people.student)
    return work, revision, artifact


def test_saving_a_changed_revision_is_refused(submitted):
    _, revision, _ = submitted
    revision.note = "rewritten history"
    with pytest.raises(ImmutableError):
        revision.save()
    assert Revision.objects.get(pk=revision.pk).note == ""


def test_deleting_a_revision_is_refused(submitted):
    _, revision, _ = submitted
    with pytest.raises(ImmutableError):
        revision.delete()
    assert Revision.objects.filter(pk=revision.pk).exists()


def test_queryset_update_of_revisions_is_refused(submitted):
    with pytest.raises(ImmutableError):
        Revision.objects.all().update(note="bulk rewrite")
    with pytest.raises(ImmutableError):
        Revision.objects.filter(pk=submitted[1].pk).update(is_late=True)


def test_queryset_delete_of_revisions_is_refused(submitted):
    with pytest.raises(ImmutableError):
        Revision.objects.all().delete()
    assert Revision.objects.count() == 1


def test_bulk_update_of_revisions_is_refused(submitted):
    _, revision, _ = submitted
    revision.note = "x"
    with pytest.raises(ImmutableError):
        Revision.objects.bulk_update([revision], ["note"])


def test_revision_artifact_links_cannot_be_removed(submitted):
    link = RevisionArtifact.objects.get()
    with pytest.raises(ImmutableError):
        link.delete()
    with pytest.raises(ImmutableError):
        RevisionArtifact.objects.all().delete()
    with pytest.raises(ImmutableError), transaction.atomic():
        submitted[1].artifacts.clear()
    assert RevisionArtifact.objects.count() == 1


def test_artifact_in_a_revision_cannot_be_deleted_or_changed(submitted):
    _, _, artifact = submitted
    with pytest.raises(ImmutableError):
        artifact.delete()
    artifact.proves = "something else"
    with pytest.raises(ImmutableError):
        artifact.save()
    with pytest.raises(ImmutableError):
        Artifact.objects.filter(pk=artifact.pk).update(proves="x")
    with pytest.raises(ImmutableError):
        Artifact.objects.filter(pk=artifact.pk).delete()
    assert Artifact.objects.get(pk=artifact.pk).proves == "Latency chart"


def test_removing_a_submitted_artifact_from_the_draft_only_detaches_it(submitted, people):
    work, revision, artifact = submitted
    services.work_request_changes(work=work, revision=revision, by=people.mentor)
    services.artifact_remove(artifact=artifact, by=people.student)
    artifact.refresh_from_db()
    assert artifact.detached_at is not None
    assert artifact.file.storage.exists(artifact.file.name)
    assert list(revision.artifacts.all()) == [artifact]


def test_unsubmitted_artifact_is_deleted_with_its_file(people, django_capture_on_commit_callbacks):
    work = WeeklyWorkFactory(cohort=people.cohort, student=people.student)
    artifact = services.artifact_upload(work=work, upload=png(), proves="Draft chart", by=people.student)
    name = artifact.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.artifact_remove(artifact=artifact, by=people.student)
    assert not Artifact.objects.filter(pk=artifact.pk).exists()
    assert not artifact.file.storage.exists(name)


def test_work_with_revisions_cannot_be_deleted(submitted):
    work, _, _ = submitted
    with pytest.raises(ProtectedError):
        WeeklyWork.objects.filter(pk=work.pk).delete()


@pytest.mark.parametrize("model", [Revision, RevisionArtifact, Artifact, WeeklyWork])
def test_admin_cannot_add_change_or_delete_submitted_work(model, people):
    request = RequestFactory().get("/admin/")
    request.user = people.admin
    admin = site._registry[model]
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request)
    assert not admin.has_delete_permission(request)
    assert admin.has_view_permission(request)


def test_a_work_targets_exactly_one_of_week_or_deliverable(people):
    from django.db import IntegrityError

    deliverable = people.cohort.course.capstone_projects.first().deliverables.first()
    week = people.cohort.course.weeks.get(number=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        WeeklyWork.objects.create(student=people.student, cohort=people.cohort, week=week, deliverable=deliverable)
    with pytest.raises(IntegrityError), transaction.atomic():
        WeeklyWork.objects.create(student=people.student, cohort=people.cohort)
