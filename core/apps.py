from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import lookups
        from .observability import gauges

        gauges.register()
        lookups.register()
