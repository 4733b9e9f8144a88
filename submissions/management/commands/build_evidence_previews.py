"""Start building the previews that evidence files do not have yet (after the deploy that
brought previews, or after raising submissions.previews.GENERATOR with --stale)."""

from django.core.management.base import BaseCommand

from submissions.previews import evidence_previews_request_missing


class Command(BaseCommand):
    help = "Queue a preview build for every evidence file without a current preview."

    def add_arguments(self, parser):
        parser.add_argument("--stale", action="store_true", help="Also rebuild previews made by older code.")
        parser.add_argument("--limit", type=int, default=None, help="At most this many.")

    def handle(self, *args, stale: bool = False, limit: int | None = None, **options):
        started = evidence_previews_request_missing(stale=stale, limit=limit)
        self.stdout.write(f"Queued {started} preview build{'s' if started != 1 else ''}.")
