"""What reports holds about a person (see core.privacy): the report runs they asked for and
the student reports about them.

The export lists the runs (what, when, status), not their files: a student report is built
from the same work, feedback and risks the archive already holds. Erasure deletes the runs
about the person and the runs they asked for, with their files (a cohort report built
earlier may name them; those go by age, see below). The retention sweep deletes finished
runs and their files after RETENTION_REPORT_DAYS: a report is a snapshot, asked for again
when needed.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from core.privacy import DataProvider, Erasure, ExportArchive

from .models import ReportRun


def _export(user: User, archive: ExportArchive) -> None:
    runs = ReportRun.objects.filter(Q(student=user) | Q(requested_by=user)).select_related("cohort", "requested_by")
    archive.add_json(
        "reports.json",
        [
            {
                "kind": run.kind,
                "format": run.format,
                "cohort": run.cohort.name,
                "about_you": run.student_id == user.pk,
                "requested_by_you": run.requested_by_id == user.pk,
                "status": run.status,
                "created_at": run.created_at.isoformat(),
            }
            for run in runs
        ],
    )


def _delete_runs(runs, erasure: Erasure | None = None) -> int:
    deleted = 0
    for run in runs:
        if erasure is not None:
            erasure.delete_file(run.file)
            run.delete()
        else:
            storage, name = run.file.storage, run.file.name
            run.delete()
            if name:
                storage.delete(name)
        deleted += 1
    return deleted


def _erase(erasure: Erasure) -> None:
    user = erasure.user
    erasure.count(
        "report runs deleted", _delete_runs(ReportRun.objects.filter(Q(student=user) | Q(requested_by=user)), erasure)
    )


def _retention() -> dict[str, int]:
    cutoff = timezone.now() - timedelta(days=settings.RETENTION_REPORT_DAYS)
    old = ReportRun.objects.filter(
        status__in=[ReportRun.Status.SUCCEEDED, ReportRun.Status.FAILED], finished_at__lt=cutoff
    )
    return {"report runs and files": _delete_runs(old)}


PROVIDER = DataProvider(
    label="Reports",
    models=("reports.ReportRun",),
    export=_export,
    erase=_erase,
    retention=_retention,
)
