from django.apps import AppConfig


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = "LTI 1.3"

    def ready(self) -> None:
        from insights.panels import GRADES

        from . import panels, receivers

        # Grade passback answers the review app's decisions; the gradebook shows the syncs.
        receivers.connect()
        GRADES.register(panels.grades_panel, key=panels.grades_panel_key)
