"""Backup and restore of the whole platform: the PostgreSQL database (pg_dump's custom format,
restored with pg_restore) and the media files (a tar archive), with a manifest that records
each file's SHA-256 and size, when the backup was taken and with which versions.

A backup is a directory `courseplatform-<UTC time>/` holding `manifest.json`, `database.dump`
and `media.tar.gz`. It is written under a temporary name and renamed when complete, so a
directory with the final name is always a whole backup. Restoring checks every checksum
first, and refuses to write over a database that has tables, or a media directory that has
files, unless told to (`--force`): then the database objects are replaced in one transaction
(pg_restore --clean --single-transaction) and the media directory in place is kept beside the
restored one, renamed, never deleted.

Files on S3 (STORAGE_BACKEND=s3) are not copied: the bucket is backed up by the store's own
versioning and replication (docs/operations.md, "Backup and restore"); the manifest says so.
"""

import datetime
import hashlib
import json
import os
import platform
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import django
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FILE = "database.dump"
MEDIA_FILE = "media.tar.gz"
CHUNK = 1 << 20


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass
class RestoreResult:
    manifest: dict
    media_restored: bool
    media_kept_at: Path | None
    unapplied_migrations: list[str]


def _require_postgresql() -> dict:
    if connection.vendor != "postgresql":
        raise BackupError(
            f"backup and restore work with PostgreSQL (pg_dump, pg_restore); this database is {connection.vendor}. "
            "For the embedded SQLite database, copy its file while nothing runs."
        )
    return connection.settings_dict


def _client_environment(database: dict) -> dict:
    """The libpq environment for pg_dump/pg_restore: the password never appears in a command line."""
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if database.get(key):
            env[variable] = str(database[key])
    if sslmode := (database.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = sslmode
    return env


def _run(command: list[str], env: dict) -> str:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client).")
    result = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return result.stdout


def _digest(path: Path) -> dict:
    sha256 = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(CHUNK):
            sha256.update(block)
    return {"sha256": sha256.hexdigest(), "size": path.stat().st_size}


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder.Migration.objects.order_by("app", "name").values_list("app", "name"):
        applied.setdefault(app, []).append(name)
    return applied


def _commit() -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True, text=True, check=False
        )
    except OSError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def backup_create(*, destination: Path, now: datetime.datetime) -> Path:
    """Write a whole backup under `destination` and return its directory."""
    database = _require_postgresql()
    env = _client_environment(database)
    destination.mkdir(parents=True, exist_ok=True)
    name = f"courseplatform-{now.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}"
    final = destination / name
    if final.exists():
        raise BackupError(f"{final} exists already; wait a second or choose another --output.")
    partial = destination / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        _run(["pg_dump", "--format=custom", f"--file={partial / DATABASE_FILE}", database["NAME"]], env)
        files = {DATABASE_FILE: _digest(partial / DATABASE_FILE)}
        media: dict = {"storage": settings.STORAGE_BACKEND}
        if settings.STORAGE_BACKEND == "filesystem":
            root = Path(settings.MEDIA_ROOT)
            count = 0
            with tarfile.open(partial / MEDIA_FILE, "w:gz") as archive:
                if root.is_dir():
                    for path in sorted(root.rglob("*")):
                        if path.is_file() and not path.is_symlink():
                            archive.add(path, arcname=str(path.relative_to(root)), recursive=False)
                            count += 1
            files[MEDIA_FILE] = _digest(partial / MEDIA_FILE)
            media.update(root=str(root), files=count)
        else:
            media["note"] = f"Files are in the bucket {settings.AWS_STORAGE_BUCKET_NAME}; not part of this backup."
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server_version = cursor.fetchone()[0]
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": now.astimezone(datetime.UTC).isoformat(),
            "database": {
                "name": database["NAME"],
                "server_version": server_version,
                "pg_dump": _run(["pg_dump", "--version"], env).strip(),
                "migrations": _applied_migrations(),
            },
            "media": media,
            "versions": {
                "python": platform.python_version(),
                "django": django.get_version(),
                "commit": _commit(),
            },
            "files": files,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def backup_verify(source: Path) -> dict:
    """The backup's manifest, once every file it lists has its recorded size and SHA-256."""
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{source} is not a backup: {MANIFEST} is missing.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BackupError(f"{manifest_path} is not readable JSON: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{manifest_path} is not a format {FORMAT_VERSION} backup manifest.")
    files = manifest.get("files")
    if not isinstance(files, dict) or DATABASE_FILE not in files:
        raise BackupError(f"{manifest_path} lists no {DATABASE_FILE}.")
    for name, expected in files.items():
        path = source / name
        if name not in (DATABASE_FILE, MEDIA_FILE) or not path.is_file():
            raise BackupError(f"{path} is missing (the manifest lists it).")
        if _digest(path) != expected:
            raise BackupError(f"{path} does not match its checksum in the manifest: the backup is damaged.")
    return manifest


def _tables(cursor) -> list[str]:
    cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1")
    return [row[0] for row in cursor.fetchall()]


def _unapplied(manifest: dict) -> list[str]:
    applied = {(app, name) for app, names in manifest["database"].get("migrations", {}).items() for name in names}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.disk_migrations if (app, name) not in applied)


def backup_restore(*, source: Path, force: bool, now: datetime.datetime) -> RestoreResult:
    """Restore a verified backup into the configured database and MEDIA_ROOT."""
    manifest = backup_verify(source)
    database = _require_postgresql()
    with connection.cursor() as cursor:
        tables = _tables(cursor)
    if tables and not force:
        raise BackupError(
            f"The database {database['NAME']} is not empty ({len(tables)} tables, e.g. {tables[0]}): restoring "
            "over it would mix two states. Restore into an empty database, or pass --force to replace what "
            "the backup contains."
        )
    media_root = Path(settings.MEDIA_ROOT)
    restore_media = MEDIA_FILE in manifest["files"]
    if restore_media and settings.STORAGE_BACKEND != "filesystem":
        raise BackupError("This backup holds media files, but STORAGE_BACKEND is not filesystem; restore them by hand.")
    media_in_place = restore_media and media_root.is_dir() and any(media_root.iterdir())
    if media_in_place and not force:
        raise BackupError(f"{media_root} is not empty; pass --force to set it aside (renamed, not deleted).")

    connection.close()  # pg_restore --clean must not wait for our own session's locks
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if tables:
        command += ["--clean", "--if-exists"]
    _run([*command, f"--dbname={database['NAME']}", str(source / DATABASE_FILE)], _client_environment(database))

    kept_at = None
    if restore_media:
        media_root.parent.mkdir(parents=True, exist_ok=True)
        incoming = media_root.parent / f".{media_root.name}.restoring"
        shutil.rmtree(incoming, ignore_errors=True)
        with tarfile.open(source / MEDIA_FILE, "r:gz") as archive:
            # The "data" filter refuses absolute paths, "..", links out of the tree and devices.
            archive.extractall(incoming, filter="data")
        if media_root.is_dir() and not any(media_root.iterdir()):
            media_root.rmdir()
        elif media_root.exists():
            kept_at = media_root.parent / f"{media_root.name}.before-restore-{now:%Y%m%dT%H%M%SZ}"
            media_root.rename(kept_at)
        incoming.rename(media_root)
    return RestoreResult(
        manifest=manifest,
        media_restored=restore_media,
        media_kept_at=kept_at,
        unapplied_migrations=_unapplied(manifest),
    )
