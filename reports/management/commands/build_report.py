"""python manage.py build_report --kind cohort --format pdf --cohort demo-cohort [--output PATH]

Builds a report in this process (no worker needed) with a progress bar, keeps it like a
report requested from the pages (a ReportRun, its file in the default storage), and with
--output also copies the file there."""

import shutil
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import User
from accounts.selectors import user_get_by_email
from cohorts.models import Cohort
from reports.models import ReportRun
from reports.services import report_build, report_request


class _BarStream:
    """The command's stderr without its added line endings and error colour, for tqdm."""

    def __init__(self, wrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, style_func=lambda x: x, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


class Command(BaseCommand):
    help = "Build a cohort progress report, a student progress report or a gradebook export (CSV, HTML or PDF)."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=ReportRun.Kind.values)
        parser.add_argument("--format", required=True, choices=ReportRun.Format.values, dest="fmt")
        parser.add_argument("--cohort", required=True, help="The cohort's slug.")
        parser.add_argument("--student", help="The student's e-mail address (for --kind student).")
        parser.add_argument(
            "--output",
            help="Also copy the finished file here: a file path, or a folder (an existing one, or a path "
            "ending in / which is created) to keep the report's own file name.",
        )
        parser.add_argument(
            "--as",
            dest="requester",
            help="E-mail of the person the report is built for (default: the first platform admin).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")

    def handle(self, *args, kind, fmt, cohort, student, output, requester, no_progress, **options):
        output_folder, output_file = _output_target(output) if output else (None, None)
        cohort_obj = Cohort.objects.select_related("course").filter(slug=cohort).first()
        if cohort_obj is None:
            raise CommandError(f"No cohort with the slug “{cohort}”.")
        student_obj = None
        if kind == ReportRun.Kind.STUDENT:
            if not student:
                raise CommandError("--kind student needs --student EMAIL.")
            student_obj = user_get_by_email(student)
            if student_obj is None:
                raise CommandError(f"No user with the e-mail address “{student}”.")
        elif student:
            raise CommandError("--student is only for --kind student.")
        if requester:
            by = user_get_by_email(requester)
            if by is None:
                raise CommandError(f"No user with the e-mail address “{requester}”.")
        else:
            by = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
            if by is None:
                raise CommandError("There is no platform admin to build the report for; pass --as EMAIL.")
        try:
            run = report_request(kind=kind, fmt=fmt, cohort=cohort_obj, student=student_obj, by=by, enqueue_build=False)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

        bar = tqdm(
            total=100,
            desc=f"{kind} report",
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}",
            disable=no_progress,
            file=_BarStream(self.stderr),
        )

        def advance(percent: int) -> None:
            bar.update(percent - bar.n)

        try:
            run = report_build(run=run, on_progress=advance)
        finally:
            bar.close()
        if run.status != ReportRun.Status.SUCCEEDED:
            raise CommandError(f"Report run {run.pk} failed: {run.error}")
        self.stdout.write(f"Report run {run.pk}: stored as {run.file.name}")
        if output:
            if output_folder is not None:
                output_folder.mkdir(parents=True, exist_ok=True)
                target = output_folder / Path(run.file.name).name
            else:
                target = output_file
            with run.file.open("rb") as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink)
            self.stdout.write(self.style.SUCCESS(f"Written to {target.resolve()}"))


def _output_target(output: str) -> tuple[Path | None, Path | None]:
    """(folder, None) or (None, file) for --output, checked before anything is built."""
    path = Path(output).expanduser()
    if output.endswith(("/", "\\")) or path.is_dir():
        if path.exists() and not path.is_dir():
            raise CommandError(f"--output {output}: this is a file, not a folder.")
        return path, None
    if not path.parent.is_dir():
        raise CommandError(
            f"--output {output}: the folder {path.parent} does not exist (end the path with / to create it)."
        )
    return None, path
