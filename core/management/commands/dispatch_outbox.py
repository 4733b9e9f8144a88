from django.core.management.base import BaseCommand

from core.queue import dispatch_outbox


class Command(BaseCommand):
    help = (
        "Send the tasks that were kept in the outbox because the broker was unreachable when they "
        "were asked for. Beat runs the same thing every minute; use this after an outage to flush now."
    )

    def handle(self, *args, **options):
        sent, waiting = dispatch_outbox()
        self.stdout.write(f"Sent {sent} task(s); {waiting} still waiting for the broker.")
