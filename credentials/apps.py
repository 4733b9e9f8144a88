from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "credentials"
    verbose_name = "Credentials (Open Badges 3.0)"

    def ready(self) -> None:
        from portfolios import panels as portfolio_panels
        from portfolios import signals as portfolio_signals

        from . import checks  # noqa: F401  (registers the system check)
        from .panels import credentials_in_editor, credentials_on_public_page
        from .services import credentials_revoke_for_entry, credentials_revoke_for_portfolio

        # Unpublishing, making the portfolio private and moderation revoke, inside the same
        # transaction as the change.
        portfolio_signals.entry_unpublished.connect(
            credentials_revoke_for_entry, dispatch_uid="credentials.revoke_for_entry"
        )
        portfolio_signals.portfolio_made_private.connect(
            credentials_revoke_for_portfolio, dispatch_uid="credentials.revoke_for_portfolio"
        )
        portfolio_panels.PUBLIC_ENTRIES.register(credentials_on_public_page)
        portfolio_panels.EDITOR_ENTRIES.register(credentials_in_editor)
