from django.core.management.base import BaseCommand, CommandError

from curriculum.selectors import course_default
from rubrics.services import rubric_install_defaults


class Command(BaseCommand):
    help = (
        "Create the default weekly and capstone rubrics (from the curriculum's own language) and make them "
        "the course's defaults where no rubric is attached yet. Idempotent."
    )

    def handle(self, *args, **options):
        course = course_default()
        if course is None:
            raise CommandError("No course yet: run `python manage.py import_curriculum` first.")
        weekly, capstone = rubric_install_defaults(course=course)
        self.stdout.write(self.style.SUCCESS(f"Default rubrics for {course}: {weekly}, {capstone}."))
