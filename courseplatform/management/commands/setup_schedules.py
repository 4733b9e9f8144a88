"""Create the periodic tasks beat runs (django-celery-beat's DatabaseScheduler), so admins
see and edit them under Admin → Periodic tasks. Idempotent: an existing task keeps the
schedule an admin gave it."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from core.tasks import dispatch_outbox
from notifications.tasks import deliver_feedback, sweep_reminders
from privacy.tasks import retention_sweep, run_due_erasures
from reports.tasks import reconcile_runs
from rubrics.tasks import assign_missing_peer_reviewers

# (name, task, every N minutes or a daily "HH:MM" UTC, description). The tasks are imported,
# not named in strings, so that a renamed task breaks this module loudly instead of leaving
# beat with a schedule for a task no worker knows.
SCHEDULES = [
    (
        "Reminder sweep",
        sweep_reminders.name,
        15,
        "Finds due reminders (deadlines, overdue work, reviews waiting, digests) and sends each once.",
    ),
    (
        "Feedback notifications",
        deliver_feedback.name,
        1,
        "Tells each person, in one notification, the comments, replies and addressed threads that waited "
        "FEEDBACK_NOTIFY_WINDOW for them (a mentor's decision or a peer review tells its own comments at once).",
    ),
    (
        "Dispatch outbox",
        dispatch_outbox.name,
        1,
        "Sends tasks that could not reach the broker when they were asked for.",
    ),
    (
        "Reconcile report runs",
        reconcile_runs.name,
        1,
        "Starts again report builds whose worker stopped responding and re-sends builds whose queue message "
        "was lost (REPORTS_STALLED_AFTER, REPORTS_REQUEUE_AFTER).",
    ),
    (
        "Retention sweep",
        retention_sweep.name,
        60,
        "Deletes old outbox rows, task runs, idempotency records, report files, notifications and data "
        "archives (ages from the RETENTION_* settings, see docs/configuration.md).",
    ),
    (
        "Run due erasures",
        run_due_erasures.name,
        15,
        "Erases the accounts whose erasure was confirmed and whose grace period is over.",
    ),
    (
        "Assign missing peer reviewers",
        assign_missing_peer_reviewers.name,
        30,
        "Gives peer reviewers to recent submissions that still lack them (a submit assigns them at once; "
        "this catches any it missed, and late joiners).",
    ),
]


class Command(BaseCommand):
    help = (
        "Create the periodic tasks (reminders, outbox, report reconciler, retention, erasures, peer reviewers) "
        "if they do not exist."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        for name, task, every, description in SCHEDULES:
            if PeriodicTask.objects.filter(name=name).exists():
                self.stdout.write(f"Kept “{name}” as it is.")
                continue
            schedule_fields = {}
            if isinstance(every, int):
                schedule_fields["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=every, period=IntervalSchedule.MINUTES
                )
            else:
                hour, minute = every.split(":")
                schedule_fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    minute=str(int(minute)),
                    hour=str(int(hour)),
                    day_of_week="*",
                    day_of_month="*",
                    month_of_year="*",
                    timezone="UTC",
                )
            PeriodicTask.objects.create(name=name, task=task, description=description, **schedule_fields)
            self.stdout.write(f"Created “{name}”.")
