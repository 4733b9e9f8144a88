import datetime

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from courseplatform.loadgen import OUTCOME_NAMES, LoadRefused, cohort_load
from curriculum.selectors import course_default


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Load a large, realistic cohort fast (PostgreSQL COPY) for benchmarks: N students with work "
        "for the first W weeks in a realistic mix of states (missing, draft, submitted, changes "
        "requested, resubmitted, accepted, late), revisions, mentor assessments with criterion "
        "scores, risks, retrospectives, mentors (one per 30 students) and published portfolio "
        "entries. Refuses to overwrite an existing cohort unless --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("--students", type=_positive, required=True, help="How many students (at least 1).")
        parser.add_argument(
            "--weeks", type=_positive, default=24, help="Weeks with work; the last one is open now (default 24)."
        )
        parser.add_argument(
            "--cohort", default="", help="The cohort's slug (default: load-<students>); its name says it is a load."
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the cohort (and the load accounts in it) first when it exists.",
        )
        parser.add_argument(
            "--start-date",
            type=datetime.date.fromisoformat,
            help="Week 1's first day, YYYY-MM-DD (default: so that the last week loaded is open today).",
        )
        parser.add_argument("--seed", type=int, default=1, help="Seed of the state mix (same seed, same cohort).")

    def handle(self, *args, students: int, weeks: int, cohort: str, replace: bool, start_date, seed: int, **options):
        if course_default() is None:
            call_command("import_curriculum", stdout=self.stdout)
        slug = cohort or f"load-{students}"
        # Three days into the open week: the weeks before are past due, this one is not yet.
        start_date = start_date or timezone.localdate() - datetime.timedelta(days=7 * (weeks - 1) + 3)
        self.stdout.write(f"Loading cohort “{slug}”: {students:,} students × {weeks} weeks, week 1 from {start_date} …")
        try:
            result = cohort_load(
                course=course_default(),
                slug=slug,
                students=students,
                weeks=weeks,
                start_date=start_date,
                replace=replace,
                seed=seed,
                say=self.stdout.write,
            )
        except LoadRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        cells = sum(result.outcomes.values())
        mix = ", ".join(
            f"{name} {result.outcomes.get(name, 0) / cells:.0%}" for name in OUTCOME_NAMES.values() if cells
        )
        self.stdout.write(f"Weekly cells: {cells:,} ({mix}).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded “{slug}” in {result.seconds:.1f} s: {sum(result.rows.values()):,} rows. "
                f"Load accounts have no password (set one with `manage.py changepassword <email>`)."
            )
        )
