from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback threads"

    def ready(self) -> None:
        # The workspace (submissions) and the scoring and peer review pages (rubrics) are
        # owned below this app; they show its threads through their panel slots.
        from . import panels

        panels.register()
