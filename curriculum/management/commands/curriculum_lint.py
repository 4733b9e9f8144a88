from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from curriculum.lint import lint_course, lint_document
from curriculum.parsing import CurriculumFormatError, parse_curriculum
from curriculum.selectors import course_default, course_get_latest


class Command(BaseCommand):
    help = (
        "Check the curriculum: Bloom progression across weeks, verbs without a Bloom mapping, "
        "repeated sentences and uneven structure. Lints the imported course, or a file with --file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--course", help="Course slug (default: the platform's course).")
        parser.add_argument("--file", help="Lint a curriculum document instead of the imported course.")
        parser.add_argument("--strict", action="store_true", help="Exit with status 1 when there are findings.")

    def handle(self, *args, course: str | None, file: str | None, strict: bool, **options):
        if file:
            try:
                document = parse_curriculum(Path(file).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{file}: {exc}") from exc
            except CurriculumFormatError as exc:
                raise CommandError(f"{file}:{exc.line}: {exc.message}") from exc
            findings, subject = lint_document(document), file
        else:
            try:
                target = course_get_latest(course) if course else course_default()
            except Http404 as exc:
                raise CommandError(f"There is no course “{course}”.") from exc
            if target is None:
                raise CommandError("No course is imported yet; run import_curriculum first.")
            findings, subject = lint_course(target), str(target)

        if not findings:
            self.stdout.write(self.style.SUCCESS(f"{subject}: no findings."))
            return
        for finding in findings:
            self.stdout.write(f"[{finding.check}] {finding}")
        self.stdout.write(self.style.WARNING(f"{subject}: {len(findings)} finding(s)."))
        if strict:
            raise CommandError(f"{len(findings)} finding(s)", returncode=1)
