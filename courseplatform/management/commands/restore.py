from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from courseplatform.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup`: checks every checksum in its manifest, then restores the "
        "database (pg_restore) and the media files. Refuses a database with tables or a media directory "
        "with files unless --force (the database objects are then replaced in one transaction; the old "
        "media directory is renamed, not deleted)."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="The backup directory (courseplatform-<time>/).")
        parser.add_argument("--force", action="store_true", help="Replace a non-empty database and media directory.")

    def handle(self, *args, source: Path, force: bool, **options):
        try:
            result = backup_restore(source=source, force=force, now=timezone.now())
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        self.stdout.write(
            self.style.SUCCESS(f"Restored the backup of {manifest['created_at']} ({manifest['database']['name']}).")
        )
        if result.media_restored:
            self.stdout.write(f"Media files restored ({manifest['media'].get('files', 0)} files).")
        else:
            self.stdout.write(f"No media files in this backup: {manifest['media'].get('note', '')}")
        if result.media_kept_at:
            self.stdout.write(f"The media directory that was there is kept at {result.media_kept_at}.")
        if result.unapplied_migrations:
            self.stdout.write(
                f"The code has {len(result.unapplied_migrations)} migrations the backup predates; "
                "run `manage.py migrate` before starting the platform."
            )
