import time

from django.core.management.base import BaseCommand, CommandError

from cohorts.models import Cohort
from insights.services import at_risk_inputs_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the stored at-risk inputs of every student of a cohort (or of every cohort) from their "
        "records: after rows were written without the services (a bulk load), or to repair them. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("cohorts", nargs="*", metavar="COHORT", help="cohort slugs (default: every cohort)")

    def handle(self, *args, cohorts: list[str], **options):
        chosen = Cohort.objects.order_by("pk")
        if cohorts:
            chosen = chosen.filter(slug__in=cohorts)
            unknown = sorted(set(cohorts) - set(chosen.values_list("slug", flat=True)))
            if unknown:
                raise CommandError(f"No cohort with the slug {', '.join(unknown)}.")
        for cohort in chosen:
            started = time.perf_counter()
            students = at_risk_inputs_rebuild(cohort=cohort)
            self.stdout.write(
                f"{cohort.slug}: the at-risk inputs of {students:,} students in {time.perf_counter() - started:.1f} s"
            )
