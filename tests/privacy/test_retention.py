"""The scheduled retention sweep: old rows and files go, new ones stay; ages are settings."""

import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from api.models import IdempotencyRecord
from core.models import QueuedTask, TaskRun
from notifications.models import Notification, ReminderLog
from privacy.models import DataExport
from privacy.tasks import retention_sweep
from reports.models import ReportRun
from tests.factories import (
    DataExportFactory,
    IdempotencyRecordFactory,
    NotificationFactory,
    ReminderLogFactory,
    ReportRunFactory,
    UserFactory,
)


def _age(queryset, **fields) -> None:
    queryset.update(**fields)


def _report_with_file(name: str, finished_at: datetime.datetime) -> ReportRun:
    run = ReportRunFactory(status=ReportRun.Status.SUCCEEDED)
    stored = default_storage.save(f"reports/{run.pk}/{name}", ContentFile(b"a,b\n1,2\n"))
    ReportRun.objects.filter(pk=run.pk).update(file=stored, finished_at=finished_at)
    run.refresh_from_db()
    return run


def test_old_records_and_files_go_and_new_ones_stay(db, settings):
    now = timezone.now()
    long_ago = now - datetime.timedelta(days=400)
    recently = now - datetime.timedelta(hours=1)

    old_outbox = QueuedTask.objects.create(task_name="x", status=QueuedTask.Status.DISPATCHED, dispatched_at=long_ago)
    new_outbox = QueuedTask.objects.create(task_name="y", status=QueuedTask.Status.DISPATCHED, dispatched_at=recently)
    pending_outbox = QueuedTask.objects.create(task_name="z", status=QueuedTask.Status.PENDING)
    _age(QueuedTask.objects.filter(pk=pending_outbox.pk), created_at=long_ago)  # never sent: kept

    old_run = TaskRun.objects.create(
        task_id="old", task_name="x", status=TaskRun.Status.SUCCEEDED, finished_at=long_ago
    )
    new_run = TaskRun.objects.create(task_id="new", task_name="x", status=TaskRun.Status.FAILED, finished_at=recently)

    old_key, new_key = IdempotencyRecordFactory(), IdempotencyRecordFactory()
    _age(IdempotencyRecord.objects.filter(pk=old_key.pk), created_at=now - datetime.timedelta(hours=30))

    old_report = _report_with_file("old.csv", long_ago)
    new_report = _report_with_file("new.csv", recently)

    user = UserFactory()
    old_note, new_note = NotificationFactory(recipient=user), NotificationFactory(recipient=user)
    _age(Notification.objects.filter(pk=old_note.pk), created_at=long_ago)
    old_log = ReminderLogFactory(recipient=user, status=ReminderLog.Status.SENT)
    new_log = ReminderLogFactory(recipient=user, status=ReminderLog.Status.SENT)
    _age(ReminderLog.objects.filter(pk=old_log.pk), created_at=long_ago)

    old_export, new_export = DataExportFactory(user=user), DataExportFactory(user=user)
    old_name = default_storage.save("privacy/exports/old/a.zip", ContentFile(b"PK"))
    DataExport.objects.filter(pk=old_export.pk).update(
        status=DataExport.Status.SUCCEEDED, file=old_name, expires_at=now - datetime.timedelta(minutes=1)
    )
    DataExport.objects.filter(pk=new_export.pk).update(
        status=DataExport.Status.SUCCEEDED, expires_at=now + datetime.timedelta(days=3)
    )

    removed = retention_sweep.apply().get()

    assert set(QueuedTask.objects.values_list("pk", flat=True)) == {new_outbox.pk, pending_outbox.pk}
    assert not QueuedTask.objects.filter(pk=old_outbox.pk).exists()
    assert list(TaskRun.objects.values_list("pk", flat=True)) == [new_run.pk]
    assert not TaskRun.objects.filter(pk=old_run.pk).exists()
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [new_key.pk]
    assert list(ReportRun.objects.values_list("pk", flat=True)) == [new_report.pk]
    assert not default_storage.exists(old_report.file.name)
    assert default_storage.exists(new_report.file.name)
    assert list(Notification.objects.values_list("pk", flat=True)) == [new_note.pk]
    assert list(ReminderLog.objects.values_list("pk", flat=True)) == [new_log.pk]
    assert list(DataExport.objects.values_list("pk", flat=True)) == [new_export.pk]
    assert not default_storage.exists(old_name)
    assert removed["report runs and files"] == 1 and removed["notifications"] == 1


def test_the_ages_come_from_settings(db, settings):
    user = UserFactory()
    note = NotificationFactory(recipient=user)
    _age(Notification.objects.filter(pk=note.pk), created_at=timezone.now() - datetime.timedelta(days=10))
    settings.RETENTION_NOTIFICATION_DAYS = 30
    retention_sweep.apply()
    assert Notification.objects.filter(pk=note.pk).exists()
    settings.RETENTION_NOTIFICATION_DAYS = 7
    retention_sweep.apply()
    assert not Notification.objects.filter(pk=note.pk).exists()


def test_the_sweep_is_scheduled_once_by_setup_schedules(db):
    import io

    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    call_command("setup_schedules", stdout=io.StringIO())
    call_command("setup_schedules", stdout=io.StringIO())
    assert PeriodicTask.objects.filter(task="privacy.retention_sweep").count() == 1
    assert PeriodicTask.objects.filter(task="privacy.run_due_erasures").count() == 1
