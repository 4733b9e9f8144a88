from django.apps import AppConfig


class CourseplatformConfig(AppConfig):
    """The composition layer as an installed app, so that the commands that span every app
    (`seed_demo`, `setup_schedules`) live here rather than in one of the apps they span, and
    the domain's metrics (courseplatform/metrics.py) are registered once every app is loaded."""

    name = "courseplatform"
    verbose_name = "Course platform"

    def ready(self) -> None:
        from core import pagecache

        from . import metrics, navigation

        metrics.register()
        pagecache.register_layout_part(navigation.layout_part)
