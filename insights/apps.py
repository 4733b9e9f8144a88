from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """A cohort seen by its staff: gradebook, heatmap, at-risk list, review turnaround, coverage."""

    name = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
