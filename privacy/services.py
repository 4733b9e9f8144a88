"""A person's data: export it, erase it, and forget old records on a schedule.

- `export_request` / `export_build`: an archive of everything every app's provider holds
  about the person (JSON plus their evidence files, a README and a manifest), built by a
  Celery task straight into a zip file on disk, its progress visible on the export's page.
- `erasure_request` / `erasure_cancel` / `erasure_execute`: confirmed by the person's
  password (or started by an admin), run by the scheduled `erasures_run_due` once the grace
  period ends, audited in `ErasureRequest` with counts of what went.
- `retention_sweep`: every provider's retention rule, ages from the RETENTION_* settings.
"""

import datetime
import logging
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from core.privacy import Erasure
from core.queue import enqueue
from core.tasks import TRANSIENT_ERRORS

from .archive import ZipArchive
from .models import DataExport, ErasureRequest
from .policies import can_cancel_erasure, can_request_export, erasure_refusal
from .registry import providers

logger = logging.getLogger(__name__)

BUILD_TASK = "privacy.build_export"
NOTICE_TASK = "privacy.send_erasure_notice"
PSEUDONYM_PREFIX = "Erased learner"


# --- Export ------------------------------------------------------------------------------------


@transaction.atomic
def export_request(*, user: User, by: User, enqueue_build: bool = True) -> DataExport:
    """Start building an archive of `user`'s data (one at a time per person); the demo builds
    it in-process instead (enqueue_build=False, then export_build)."""
    if not can_request_export(by, user):
        raise ValidationError("You may not export this person's data.", code="forbidden")
    User.objects.select_for_update().filter(pk=user.pk).first()  # one request at a time per person
    if DataExport.objects.filter(user=user, status__in=[DataExport.Status.QUEUED, DataExport.Status.RUNNING]).exists():
        raise ValidationError("An export is already being built; wait for it to finish.", code="in_progress")
    export = DataExport(user=user, requested_by=by)
    export.full_clean()
    export.save()
    if enqueue_build:
        enqueue(BUILD_TASK, export.pk)
    return export


def _claim(export: DataExport) -> bool:
    with transaction.atomic():
        export.refresh_from_db(from_queryset=DataExport.objects.select_for_update())
        if export.status == DataExport.Status.SUCCEEDED:
            return False
        export.status = DataExport.Status.RUNNING
        export.progress = 0
        export.phase = "Starting"
        export.error = ""
        export.started_at = timezone.now()
        export.save(update_fields=["status", "progress", "phase", "error", "started_at"])
    return True


TEMP_PREFIX = "privacy-export-"


def _remove_stale_temporary_directories() -> int:
    """A worker killed mid-build (SIGKILL, out of memory) leaves its temporary directory
    behind. One older than the task time limit belongs to no running build: remove it."""
    cutoff = time.time() - settings.CELERY_TASK_TIME_LIMIT
    removed = 0
    for directory in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        try:
            if directory.is_dir() and directory.stat().st_mtime < cutoff:
                shutil.rmtree(directory, ignore_errors=True)
                removed += 1
        except FileNotFoundError:
            continue  # another build removed it meanwhile
    return removed


def _progress(export: DataExport, percent: int, phase: str) -> None:
    DataExport.objects.filter(pk=export.pk).update(progress=max(0, min(99, percent)), phase=phase[:100])


def _readme(export: DataExport, archive: ZipArchive) -> str:
    return render_to_string(
        "privacy/export_readme.md",
        {"export": export, "manifest": archive.manifest, "missing": archive.missing, "site_url": settings.SITE_URL},
    )


def export_build(*, export: DataExport) -> DataExport:
    """Write the archive to a temporary file, then keep it through the default storage.
    Idempotent: a finished export is left alone; a build delivered again (its worker died)
    starts over and replaces its own file. Transient errors are raised for the task to
    retry; others mark the export failed with a readable message."""
    if not _claim(export):
        return export
    _remove_stale_temporary_directories()
    user = export.user
    steps = [p for p in providers() if p.export is not None]
    stamp = timezone.now()
    root = f"my-data-{stamp:%Y-%m-%d}"
    try:
        with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as directory:
            path = Path(directory) / "export.zip"
            archive = ZipArchive(path, root=root)
            try:
                for number, provider in enumerate(steps):
                    _progress(export, int(number * 95 / max(1, len(steps))), f"Collecting: {provider.label}")
                    provider.export(user, archive)
                _progress(export, 96, "Writing the README")
                archive.add_json("manifest.json", {"generated_at": stamp, "files": list(archive.manifest)})
                archive.add_bytes("README.md", _readme(export, archive).encode())
            finally:
                archive.close()
            _progress(export, 98, "Saving the archive")
            name = _store(export, path, f"{root}.zip")
            size = path.stat().st_size
    except TRANSIENT_ERRORS:
        DataExport.objects.filter(pk=export.pk).update(
            status=DataExport.Status.QUEUED, phase="Interrupted; it will be tried again"
        )
        raise
    except Exception as exc:
        logger.exception("Data export %s failed", export.pk)
        export_fail(export_id=export.pk, message=f"The archive could not be built: {exc.__class__.__name__}: {exc}")
        export.refresh_from_db()
        return export
    now = timezone.now()
    kept = DataExport.objects.filter(pk=export.pk).update(
        status=DataExport.Status.SUCCEEDED,
        progress=100,
        phase="Ready",
        file=name,
        size=size,
        finished_at=now,
        expires_at=now + datetime.timedelta(days=settings.PRIVACY_EXPORT_KEEP_DAYS),
    )
    if not kept:
        # The person was erased (or the export deleted) while it was being built: the file
        # must not outlive its row.
        default_storage.delete(name)
        return export
    export.refresh_from_db()
    return export


def _store(export: DataExport, path: Path, filename: str) -> str:
    # A random directory: the archive's address is never guessable, even in the storage bucket.
    name = f"privacy/exports/{export.pk}/{secrets.token_hex(8)}/{filename}"
    if export.file and default_storage.exists(export.file.name):
        default_storage.delete(export.file.name)
    with path.open("rb") as source:
        return default_storage.save(name, File(source, name=filename))


def export_fail(*, export_id: int, message: str) -> None:
    DataExport.objects.filter(pk=export_id).exclude(status=DataExport.Status.SUCCEEDED).update(
        status=DataExport.Status.FAILED, error=message[:2000], phase="Failed", finished_at=timezone.now()
    )


# --- Erasure -----------------------------------------------------------------------------------


def grace_period() -> datetime.timedelta:
    return datetime.timedelta(days=settings.PRIVACY_ERASURE_GRACE_DAYS)


@transaction.atomic
def erasure_request(
    *, user: User, by: User, password: str | None = None, reason: str = "", now: datetime.datetime | None = None
) -> ErasureRequest:
    """Ask for `user`'s erasure. The person confirms with their password; an admin's request
    is confirmed by the admin. Either way it runs when the grace period ends, and the
    person is e-mailed (with the date and how to cancel)."""
    refusal = erasure_refusal(by, user)
    if refusal:
        raise ValidationError(refusal, code="forbidden")
    if by.pk == user.pk:
        if not password or not user.check_password(password):
            raise ValidationError({"password": "That is not your password."}, code="wrong_password")
        confirmation = ErasureRequest.Confirmation.PASSWORD
    else:
        confirmation = ErasureRequest.Confirmation.ADMIN
    User.objects.select_for_update().filter(pk=user.pk).first()
    if ErasureRequest.objects.open().filter(user=user).exists():
        raise ValidationError("An erasure of this account is already scheduled.", code="exists")
    now = now or timezone.now()
    request = ErasureRequest(
        user=user,
        requested_by=by,
        confirmation=confirmation,
        reason=reason.strip(),
        requested_at=now,
        confirmed_at=now,
        due_at=now + grace_period(),
    )
    request.full_clean()
    request.save()
    enqueue(NOTICE_TASK, request.pk, "scheduled")
    return request


@transaction.atomic
def erasure_cancel(*, request: ErasureRequest, by: User, now: datetime.datetime | None = None) -> ErasureRequest:
    request.refresh_from_db(from_queryset=ErasureRequest.objects.select_for_update())
    if not can_cancel_erasure(by, request):
        raise ValidationError("This erasure can no longer be cancelled.", code="not_cancellable")
    request.status = ErasureRequest.Status.CANCELLED
    request.cancelled_at = now or timezone.now()
    request.cancelled_by = by
    request.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    enqueue(NOTICE_TASK, request.pk, "cancelled")
    return request


def _pseudonym() -> str:
    while True:
        candidate = f"{PSEUDONYM_PREFIX} {secrets.token_hex(2).upper()}"
        if not User.objects.filter(name=candidate).exists():
            return candidate


def _former_strings(user: User) -> tuple[str, ...]:
    strings = {user.name, user.email, user.email.split("@")[0], user.display_name}
    strings |= set(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    # Very short strings ("Al") would replace parts of unrelated words.
    return tuple(sorted((s.strip() for s in strings if s and len(s.strip()) >= 4), key=len, reverse=True))


# A run still "running" after this long lost its worker (its transaction was rolled back).
STALE_RUN = datetime.timedelta(hours=1)
MAX_ATTEMPTS = 5


def _may_start(request: ErasureRequest, now: datetime.datetime) -> bool:
    if request.attempts >= MAX_ATTEMPTS:
        return False
    if request.status == ErasureRequest.Status.RUNNING:
        return request.started_at is not None and request.started_at < now - STALE_RUN
    return request.status in (ErasureRequest.Status.SCHEDULED, ErasureRequest.Status.FAILED)


def erasure_execute(*, request_id: int, now: datetime.datetime | None = None) -> ErasureRequest | None:
    """Erase the person of a due request, through every app's provider, in one transaction;
    then delete their files. Idempotent: a completed or cancelled request is left alone."""
    now = now or timezone.now()
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().select_related("user").filter(pk=request_id).first()
        if request is None or request.due_at > now or not _may_start(request, now):
            return request
        request.status = ErasureRequest.Status.RUNNING
        request.started_at = now
        request.attempts += 1
        request.save(update_fields=["status", "started_at", "attempts"])
    erasure = Erasure(user=request.user, pseudonym=_pseudonym(), now=now, former_strings=_former_strings(request.user))
    try:
        with transaction.atomic():
            for provider in reversed(providers()):
                if provider.erase is not None:
                    provider.erase(erasure)
            request.status = ErasureRequest.Status.COMPLETED
            request.executed_at = now
            request.pseudonym = erasure.pseudonym
            request.counts = dict(sorted(erasure.counts.items()))
            request.error = ""
            request.save(update_fields=["status", "executed_at", "pseudonym", "counts", "error"])
    except Exception as exc:
        logger.exception("Erasure request %s failed", request.pk)
        ErasureRequest.objects.filter(pk=request.pk).update(
            status=ErasureRequest.Status.FAILED, error=f"{exc.__class__.__name__}: {exc}"[:2000]
        )
        if isinstance(exc, TRANSIENT_ERRORS):
            raise
        request.refresh_from_db()
        return request
    deleted = _delete_files(erasure.files)
    if deleted:
        ErasureRequest.objects.filter(pk=request.pk).update(counts={**request.counts, "files deleted": deleted})
    request.refresh_from_db()
    return request


def _delete_files(files: list[tuple]) -> int:
    deleted = 0
    for storage, name in files:
        try:
            if storage.exists(name):
                storage.delete(name)
                deleted += 1
        except OSError:
            # The rows no longer point at it; the orphan is logged for an operator to remove.
            logger.exception("Could not delete erased file %s", name)
    return deleted


def erasures_run_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Run every erasure whose grace period is over (and retry failed ones); returns their ids."""
    now = now or timezone.now()
    due = list(
        ErasureRequest.objects.open().filter(due_at__lte=now, attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True)
    )
    for pk in due:
        erasure_execute(request_id=pk, now=now)
    return due


# --- Retention ---------------------------------------------------------------------------------


def retention_sweep() -> dict[str, int]:
    """Apply every provider's retention rule; returns how many of each kind went."""
    removed: dict[str, int] = {}
    for provider in providers():
        if provider.retention is not None:
            with transaction.atomic():
                removed.update(provider.retention())
    return removed
