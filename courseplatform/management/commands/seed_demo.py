import importlib

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from courseplatform.demo import DemoContext
from curriculum.selectors import course_default

# Each app's demo step, in dependency order. A step receives the shared DemoContext.
DEMO_STEPS = [
    "courseplatform.demo.cohorts",
    "courseplatform.demo.submissions",
    "courseplatform.demo.previews",
    "courseplatform.demo.rubrics",
    "courseplatform.demo.feedback",
    "courseplatform.demo.scoring",
    "courseplatform.demo.improve_items",
    "courseplatform.demo.insights",
    "courseplatform.demo.portfolios",
    "courseplatform.demo.credentials",
    "courseplatform.demo.notifications",
    "courseplatform.demo.reports",
    "courseplatform.demo.privacy",
    "courseplatform.demo.calendars",
    # Last: it delivers, in the site only, what the steps above recorded (decisions, comments,
    # reports ready), before the deliveries enqueued on commit could e-mail demo addresses.
    "courseplatform.demo.feedback_notifications",
]


class Command(BaseCommand):
    help = (
        "Create the demo: the bundled curriculum, a demo cohort with an admin, an instructor, two "
        "mentors and six students, and realistic work in every state. Idempotent; passwords are "
        "printed only when an account is created (or with --reset-passwords)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset-passwords", action="store_true", help="Give every demo account a new password.")

    def handle(self, *args, reset_passwords: bool, **options):
        if course_default() is None:
            call_command("import_curriculum", stdout=self.stdout)
        demo = DemoContext(
            course=course_default(), now=timezone.now(), write=self.stdout.write, reset_passwords=reset_passwords
        )
        with transaction.atomic():
            for step in DEMO_STEPS:
                importlib.import_module(step).seed(demo)
        self.stdout.write(self.style.SUCCESS(f"Demo ready: cohort “{demo.cohort}” with {len(demo.students)} students."))
