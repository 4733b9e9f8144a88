"""backup and restore, end to end with real processes: a private scratch database (a copy of
the test database) gets a loaded cohort and media files, is backed up, dropped, created empty
and restored; every table's rows and every file must come back identical."""

import hashlib
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from courseplatform.backup import MEDIA_FILE, BackupError, backup_verify


def _conninfo(database: dict, name: str) -> str:
    parts = {"dbname": name, "host": database["HOST"], "port": database["PORT"], "user": database["USER"]}
    if database.get("PASSWORD"):
        parts["password"] = database["PASSWORD"]
    return " ".join(f"{key}={value}" for key, value in parts.items() if value)


def _url(database: dict, name: str) -> str:
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    return f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT'] or 5432}/{name}"


@pytest.fixture
def scratch(db):
    """A private database holding a copy of the test database (schema and curriculum). Copied
    with pg_dump rather than CREATE DATABASE … TEMPLATE, which needs the test database to have
    no other session: under pytest-xdist the worker's own connections (the default and its
    mirrored replica alias, a live server's threads) hold it. The copy holds what the session
    committed (the curriculum), not the test's own open transaction."""
    database = dict(connection.settings_dict)
    name = f"{database['NAME']}_backup_{secrets.token_hex(3)}"
    admin = psycopg.connect(_conninfo(database, "postgres"), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {**os.environ, "PGPASSWORD": database.get("PASSWORD") or ""}
        host = ["-h", database["HOST"] or "127.0.0.1", "-p", str(database["PORT"] or 5432), "-U", database["USER"]]
        dump = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", *host, database["NAME"]],
            env=env,
            capture_output=True,
            check=True,
            timeout=120,
        )
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", *host, "-d", name],
            input=dump.stdout,
            env=env,
            capture_output=True,
            check=True,
            timeout=120,
        )
        yield database, name, admin
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _manage(env: dict, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _snapshot(database: dict, name: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of all its rows."""
    with psycopg.connect(_conninfo(database, name)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
            )
        ]
        return {
            table: conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t"
            ).fetchone()
            for table in tables
        }


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


@pytest.mark.postgresql  # backup and restore are pg_dump/pg_restore (they refuse SQLite by design)
def test_backup_drop_restore_gives_back_every_row_and_file(scratch, tmp_path):
    database, name, admin = scratch
    media = tmp_path / "media"
    env = {
        **os.environ,
        "DATABASE_URL": _url(database, name),
        "MEDIA_ROOT": str(media),
        "STORAGE_BACKEND": "filesystem",
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "courseplatform.settings",
    }
    loaded = _manage(env, "seed_load", "--students=6", "--weeks=3", "--cohort=backup-test", "--start-date=2026-01-05")
    assert loaded.returncode == 0, loaded.stderr
    (media / "artifacts" / "ab").mkdir(parents=True)
    (media / "artifacts" / "ab" / "k6-summary.bin").write_bytes(secrets.token_bytes(200_000))
    (media / "reports").mkdir()
    (media / "reports" / "évidence – week 3.csv").write_text("student,week\nA,3\n", encoding="utf-8")
    before, files_before = _snapshot(database, name), _files(media)
    assert before["submissions_weeklywork"][0] > 0 and len(files_before) == 2

    made = _manage(env, "backup", f"--output={tmp_path / 'backups'}")
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip().rsplit(" ", 1)[-1])
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"]["name"] == name
    assert manifest["database"]["pg_dump"].startswith("pg_dump (PostgreSQL)")
    assert "submissions" in manifest["database"]["migrations"]
    assert manifest["media"] == {"storage": "filesystem", "root": str(media), "files": 2}
    for file_name, recorded in manifest["files"].items():
        assert hashlib.sha256((backup / file_name).read_bytes()).hexdigest() == recorded["sha256"]

    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    for path in sorted(media.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    restored = _manage(env, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert _snapshot(database, name) == before
    assert _files(media) == files_before

    # A second restore over the now non-empty database is refused and changes nothing.
    refused = _manage(env, "restore", str(backup))
    assert refused.returncode == 1
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert _snapshot(database, name) == before

    # --force replaces what changed since, and keeps the media directory that was there.
    with psycopg.connect(_conninfo(database, name), autocommit=True) as conn:
        conn.execute("UPDATE cohorts_cohort SET name = 'Changed after the backup'")
    (media / "late-upload.txt").write_text("after the backup")
    forced = _manage(env, "restore", "--force", str(backup))
    assert forced.returncode == 0, forced.stderr
    assert _snapshot(database, name) == before
    assert _files(media) == files_before
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("media.before-restore-")]
    assert len(kept) == 1 and (kept[0] / "late-upload.txt").read_text() == "after the backup"


def test_a_damaged_backup_is_refused_before_anything_is_touched(tmp_path):
    backup = tmp_path / "courseplatform-20260105T000000Z"
    backup.mkdir()
    (backup / "database.dump").write_bytes(b"PGDMP fake")
    (backup / MEDIA_FILE).write_bytes(b"not a tar")
    digest = {"sha256": hashlib.sha256(b"PGDMP fake").hexdigest(), "size": 10}
    manifest = {"format": 1, "files": {"database.dump": digest, MEDIA_FILE: digest}}
    (backup / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match=f"{MEDIA_FILE} does not match its checksum"):
        backup_verify(backup)
    (backup / "manifest.json").unlink()
    with pytest.raises(BackupError, match="manifest.json is missing"):
        backup_verify(backup)
