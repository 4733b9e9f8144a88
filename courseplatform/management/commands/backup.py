from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from courseplatform.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the PostgreSQL database (pg_dump, custom format) and the media files (tar) into a new "
        "directory courseplatform-<UTC time>/ under --output, with a manifest of checksums, time and versions."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, default=Path("backups"), help="Parent directory (default ./backups)."
        )

    def handle(self, *args, output: Path, **options):
        try:
            path = backup_create(destination=output, now=timezone.now())
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path}"))
