from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from curriculum.parsing import CurriculumFormatError
from curriculum.services import CurriculumImportError, curriculum_import, load_overlay


class Command(BaseCommand):
    help = (
        "Import a curriculum document (default: the bundled customer curriculum). Idempotent: "
        "importing the same file again changes nothing. A re-import merges: what the file changed "
        "since the last import is applied, what admins changed is kept, and a field both changed is "
        "a conflict (kept as the admin made it; exit status 1 unless --take-file or --report-conflicts)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(settings.CURRICULUM_DEFAULT_PATH))
        parser.add_argument(
            "--overlay",
            default=str(settings.CURRICULUM_OVERLAY_PATH),
            help="JSON file with default labs and capstone due weeks, applied where none exist yet.",
        )
        parser.add_argument("--no-overlay", action="store_true", help="Import the document alone.")
        parser.add_argument(
            "--new-version",
            action="store_true",
            help="Import as a new course version; cohorts pinned to the current version keep it.",
        )
        parser.add_argument(
            "--course",
            metavar="SLUG",
            help="The course to update (or to add a version to), taking the file's title. Needed when the "
            "file's title matches no course, e.g. after the customer retitled it (the course keeps its slug).",
        )
        parser.add_argument(
            "--new-course",
            action="store_true",
            help="Add the file as another course when its title matches none in the database.",
        )
        parser.add_argument(
            "--take-file",
            action="store_true",
            help="Where an admin and the file both changed a field since the last import, take the file's value "
            "(the admin's is kept in the edit history).",
        )
        parser.add_argument(
            "--report-conflicts",
            action="store_true",
            help="Print conflicts and exit 0 instead of 1, leaving them for an admin to settle (what `make run` uses).",
        )

    def handle(
        self,
        *args,
        path: str,
        overlay: str,
        no_overlay: bool,
        new_version: bool,
        course: str | None,
        new_course: bool,
        take_file: bool,
        report_conflicts: bool,
        **options,
    ):
        source = Path(path)
        try:
            text = source.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CommandError(f"{source}: no such file") from exc
        except UnicodeDecodeError as exc:
            line = source.read_bytes()[: exc.start].count(b"\n") + 1
            raise CommandError(f"{source}:{line}: not UTF-8 text ({exc.reason})") from exc
        try:
            overlay_data = {} if no_overlay else load_overlay(Path(overlay))
        except (OSError, ValueError) as exc:
            raise CommandError(f"overlay {overlay}: {exc}") from exc
        try:
            report = curriculum_import(
                text=text,
                source_name=source.name,
                overlay=overlay_data,
                overlay_name=Path(overlay).name,
                as_new_version=new_version,
                course_slug=course,
                new_course=new_course,
                take_file=take_file,
            )
        except CurriculumFormatError as exc:
            raise CommandError(f"{source}:{exc.line}: {exc.message}. Nothing was imported.") from exc
        except CurriculumImportError as exc:
            raise CommandError(f"{source}: {exc}. Nothing was imported.") from exc

        imported = report.course
        verb = "Created" if report.created else ("Updated" if report.changed else "Unchanged:")
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {imported} from {source.name}: {imported.weeks.count()} weeks, "
                f"{imported.capstone_projects.count()} capstone projects."
            )
        )
        if report.changed and not report.created:
            for change in report.changes:
                self.stdout.write(f"  {change}")
        elif report.created:
            self.stdout.write(f"  {len(report.changes)} records created.")
        if report.kept:
            edits = "admin edit" if len(report.kept) == 1 else "admin edits"
            self.stdout.write(f"  kept {len(report.kept)} {edits} the file did not change:")
            for kept in report.kept:
                self.stdout.write(f"    {kept}")
        for conflict in report.took_file:
            self.stdout.write(self.style.WARNING(f"  Took the file's value (--take-file): {conflict}"))
        for note in report.notes:
            self.stdout.write(self.style.WARNING(f"  {note}"))
        if not report.conflicts:
            return
        count = len(report.conflicts)
        for conflict in report.conflicts:
            self.stdout.write(self.style.ERROR(f"  Conflict: {conflict}"))
        where = reverse("admin:curriculum_course_change", args=[imported.pk])
        summary = (
            f"{count} conflict{'s' if count != 1 else ''}: an admin and {source.name} both changed "
            f"{'these fields' if count != 1 else 'this field'} since the last import. The admin's value was kept. "
            f"Choose per field in the admin ({where}), or run again with --take-file to take the file's values."
        )
        if report_conflicts:
            self.stdout.write(self.style.WARNING(summary))
            return
        raise CommandError(summary, returncode=1)
