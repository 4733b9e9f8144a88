from django.apps import AppConfig


class PortfoliosConfig(AppConfig):
    name = "portfolios"
    verbose_name = "Portfolios"

    def ready(self) -> None:
        # A proof's preview built after the page was cached: the page is rendered again
        # (submissions, one floor down, announces it without knowing who listens).
        from submissions.previews import preview_ready

        from .services import portfolio_proof_preview_ready

        preview_ready.connect(portfolio_proof_preview_ready, dispatch_uid="portfolios.proof_preview_ready")
