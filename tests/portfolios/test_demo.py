import io

from django.core.management import call_command

from portfolios.models import Portfolio, PortfolioEntry


def test_seed_demo_builds_a_public_and_an_unlisted_portfolio_once(demo, client_for):
    public = Portfolio.objects.get(slug="priya-backend")
    unlisted = Portfolio.objects.get(slug="sam-builds")
    assert (public.visibility, unlisted.visibility) == ("public", "unlisted")
    weeks = public.entries.published().filter(is_capstone=False)
    assert weeks.count() >= 3 and public.entries.published().filter(is_capstone=True).count() == 1
    assert unlisted.entries.published().count() >= 1
    assert all(e.work.state == "accepted" and e.work.published_at for e in PortfolioEntry.objects.all())
    counts = PortfolioEntry.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert PortfolioEntry.objects.count() == counts
    response = client_for(None).get("/p/priya-backend/")
    assert response.status_code == 200 and "Capstone" in response.content.decode()
