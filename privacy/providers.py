"""The privacy app's own part of a person's data (see core.privacy): their export archives
and erasure requests.

Erasure deletes the archives with their files and keeps the erasure requests: they are the
audit record (who asked, when it was confirmed and executed, counts of what went) and hold
no personal data, only the pseudonymised account. The retention sweep deletes archives
once they expire (PRIVACY_EXPORT_KEEP_DAYS after they were built) and failed builds after
the same time.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from core.privacy import DataProvider, Erasure, ExportArchive

from .models import DataExport, ErasureRequest


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _export(user: User, archive: ExportArchive) -> None:
    archive.add_json(
        "privacy.json",
        {
            "exports": [
                {"requested_at": e.created_at.isoformat(), "status": e.status, "finished_at": _iso(e.finished_at)}
                for e in DataExport.objects.filter(user=user)
            ],
            "erasure_requests": [
                {
                    "status": r.status,
                    "requested_at": r.requested_at.isoformat(),
                    "confirmation": r.confirmation,
                    "due_at": r.due_at.isoformat(),
                    "cancelled_at": _iso(r.cancelled_at),
                }
                for r in ErasureRequest.objects.filter(user=user)
            ],
        },
    )


def _erase(erasure: Erasure) -> None:
    exports = list(DataExport.objects.filter(Q(user=erasure.user) | Q(requested_by=erasure.user)))
    for export in exports:
        erasure.delete_file(export.file)
        export.delete()
    erasure.count("data export archives deleted", len(exports))


def _retention() -> dict[str, int]:
    now = timezone.now()
    old = DataExport.objects.filter(
        Q(expires_at__lt=now)
        | Q(status=DataExport.Status.FAILED, finished_at__lt=now - timedelta(days=settings.PRIVACY_EXPORT_KEEP_DAYS))
    )
    removed = 0
    for export in old:
        storage, name = export.file.storage, export.file.name
        export.delete()
        if name:
            storage.delete(name)
        removed += 1
    return {"data export archives": removed}


PROVIDER = DataProvider(
    label="Your data requests",
    models=("privacy.DataExport", "privacy.ErasureRequest"),
    export=_export,
    erase=_erase,
    retention=_retention,
)
