from django.apps import AppConfig


class ProgressConfig(AppConfig):
    """A learner's progress: grades and mastery by objective and Bloom level."""

    name = "progress"
    verbose_name = "Progress"
