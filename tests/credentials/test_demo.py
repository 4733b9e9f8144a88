import io

from django.core.management import call_command

from credentials.models import Credential
from credentials.verification import verify_text


def test_seed_demo_issues_one_credential_on_the_public_portfolio_once(demo, client_for):
    credential = Credential.objects.get()
    assert credential.entry.portfolio.slug == "priya-backend" and not credential.entry.is_capstone
    assert verify_text(credential.jwt).valid
    call_command("seed_demo", stdout=io.StringIO())
    assert Credential.objects.get() == credential
    body = client_for(None).get("/p/priya-backend/").content.decode()
    assert f"/credentials/verify/?credential={credential.pk}" in body
