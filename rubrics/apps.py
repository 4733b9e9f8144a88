from django.apps import AppConfig


class RubricsConfig(AppConfig):
    name = "rubrics"
    verbose_name = "Rubrics"

    def ready(self) -> None:
        # What the review says, shown beside the work on pages rubrics does not own: the
        # workspace (submissions, a floor below) and rubrics' own scoring page.
        from submissions.panels import WORKSPACE

        from .feedback_panels import improve_items_for_scoring, what_was_asked
        from .panels import SCORING

        WORKSPACE.register(what_was_asked)
        SCORING.register(improve_items_for_scoring)
