from django.apps import AppConfig


class CohortsConfig(AppConfig):
    name = "cohorts"
    verbose_name = "Cohorts"

    def ready(self) -> None:
        # Imported here: models may only be imported once the app registry is ready.
        from accounts.roles import register_role_source

        from .selectors import roles_for_user

        # accounts may not import cohorts (it is the lower layer), so cohorts tells it
        # which roles a person holds: the second-factor rule and /api/v1/me/ ask for them.
        register_role_source(roles_for_user)
