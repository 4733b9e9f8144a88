"""Demo data of the credentials app: Priya (the public portfolio /p/priya-backend/) has claimed
an Open Badges 3.0 credential for her first published week, so the public page shows it with
its "Verify" link and /credentials/<id>/ has something to download and check. Idempotent:
claiming again returns the credential in force."""

from courseplatform.demo import DemoContext
from credentials.services import credential_claim
from portfolios.models import Portfolio, PortfolioEntry

SLUG = "priya-backend"


def seed(demo: DemoContext) -> None:
    portfolio = Portfolio.objects.filter(slug=SLUG).select_related("user").first()
    if portfolio is None or not portfolio.is_world_visible:
        return
    entry = (
        PortfolioEntry.objects.filter(portfolio=portfolio, is_capstone=False)
        .published()
        .order_by("week_number", "pk")
        .first()
    )
    if entry is None:
        return
    had = entry.credentials.filter(revoked_at__isnull=True).exists()
    credential = credential_claim(entry=entry, by=portfolio.user)
    if not had:
        demo.write(f"  Credential: /credentials/{credential.pk}/ ({entry.title}, on /p/{SLUG}/)")
