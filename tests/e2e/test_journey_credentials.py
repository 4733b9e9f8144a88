"""Journey: a learner claims an Open Badges 3.0 credential for a published week, downloads it; a
signed-out visitor follows "Verify" from the public portfolio and the verify page says every
check holds; the learner unpublishes the week and the verify page reports the credential
revoked, for the same credential checked again and for the downloaded file uploaded."""

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Browser, Page, expect

from cohorts.models import Membership
from credentials.models import Credential
from portfolios import services as portfolios
from portfolios.models import Portfolio
from submissions import services as submissions
from submissions.content import normalised
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, MentorAssignmentFactory, UserFactory

from .support import audit, cohort_in_week, sign_in, watch_for_problems

SLUG = "lena-ships-queues"
PROOF = ("k6-queue-drain.txt", b"k6: 2000 req/s for 10 min\nqueue drained in 11 min\np95 enqueue: 12 ms\n")
CHECKS = ("Signature", "Issuer", "Open Badges 3.0 content", "Status", "Evidence")


def _published_week(course, cohort, student, mentor):
    week = course.weeks.get(number=4)
    work = submissions.work_get_or_create(student=student, cohort=cohort, week=week, deliverable=None)
    content = normalised({})
    content["concept"] = {"text": "Back-pressure keeps the queue bounded; the drain time is the budget."}
    submissions.work_save_draft(work=work, content=content, expected_version=work.draft_version, by=student)
    artifact = submissions.artifact_upload(
        work=work, upload=SimpleUploadedFile(*PROOF, content_type="text/plain"), proves="Drain time", by=student
    )
    revision = submissions.work_submit(work=work, by=student)
    submissions.work_accept(work=work, revision=revision, by=mentor)
    portfolio = portfolios.portfolio_ensure(user=student)
    portfolios.portfolio_update_profile(
        portfolio=portfolio, slug=SLUG, display_name=student.display_name, visibility=Portfolio.Visibility.PUBLIC
    )
    portfolios.entry_publish(
        work=work,
        by=student,
        narrative="The import queue drains in **11 minutes** at peak.",
        artifact_ids=[artifact.pk],
    )
    return week


def _expect_checks(page: Page, status: dict[str, str]) -> None:
    result = page.locator("#verify-result")
    for title in CHECKS:
        said = {"holds": "holds", "fails": "does not hold"}[status.get(title, "holds")]
        expect(result.get_by_role("listitem").filter(has_text=f"{title}: {said}.").first).to_be_visible()


def test_a_learner_claims_a_credential_a_visitor_verifies_it_and_unpublishing_revokes_it(
    page: Page, browser: Browser, course, live_server, settings, tmp_path
):
    settings.SITE_URL = live_server.url
    settings.CREDENTIALS_ISSUER_DID = f"did:web:127.0.0.1%3A{urlsplit(live_server.url).port}"
    cohort = cohort_in_week(course, 5)
    student = UserFactory(email="lena.fischer@example.com", name="Lena Fischer")
    mentor = UserFactory(email="omar.haddad@example.com", name="Omar Haddad")
    MembershipFactory(cohort=cohort, user=student, role=Membership.Role.STUDENT)
    MembershipFactory(cohort=cohort, user=mentor, role=Membership.Role.MENTOR)
    MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=student)
    week = _published_week(course, cohort, student, mentor)

    # The learner claims the credential from the portfolio editor.
    sign_in(page, email=student.email, password=DEFAULT_PASSWORD)
    page.goto("/portfolio/")
    entries = page.get_by_role("region", name="Published entries")
    entries.get_by_role("button", name=f"Claim a credential for {week.title}").click()
    expect(page.get_by_text(f"Your credential for “{week.title}” is ready.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Week 4: {week.title}")
    expect(page.get_by_text("In force", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    audit(page, "credential-page", docs_screenshot="credential")
    credential = Credential.objects.get()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as JWT (.jwt)").click()
    downloaded = Path(download_info.value.path()).read_text()
    assert downloaded == credential.jwt
    saved = tmp_path / f"credential-{credential.pk}.jwt"
    saved.write_text(downloaded)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as JSON (.json)").click()
    envelope = json.loads(Path(download_info.value.path()).read_text())
    assert envelope["type"] == "EnvelopedVerifiableCredential" and envelope["id"].endswith(credential.jwt)

    # A visitor, signed out in a browser of their own, follows "Verify" from the public page.
    visitor_context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    try:
        visitor = visitor_context.new_page()
        visitor._e2e_recorder = page._e2e_recorder
        watch_for_problems(visitor, page._e2e_problems)
        visitor.goto(f"/p/{SLUG}/")
        entry = visitor.get_by_role("article").filter(has=visitor.get_by_role("heading", name=week.title))
        expect(entry.get_by_text("Open Badge", exact=True)).to_be_visible()
        audit(visitor, "public-portfolio-with-credential")
        entry.get_by_role("link", name=f"Verify the credential for {week.title}").click()
        expect(visitor.get_by_role("heading", level=1)).to_have_text("Verify a credential")
        expect(visitor.get_by_role("textbox", name="Paste a credential")).to_have_value(credential.jwt)
        visitor.get_by_role("button", name="Check").click()
        expect(visitor.get_by_role("heading", name="Valid: every check holds")).to_be_visible()
        _expect_checks(visitor, {})
        expect(visitor.get_by_text(f"{PROOF[0]}: the published file still has SHA-256")).to_be_visible()
        audit(visitor, "verify-valid", docs_screenshot="verify-credential")

        # The learner takes the week off the portfolio.
        page.goto("/portfolio/")
        row = page.get_by_role("region", name="Published entries").get_by_role("row").filter(has_text=week.title)
        row.get_by_role("button", name="Unpublish").click()
        expect(page.get_by_text(f"“{week.title}” is no longer on your public page.")).to_be_visible()

        # The visitor checks the same credential again: revoked.
        visitor.get_by_role("button", name="Check").click()
        expect(visitor.get_by_role("heading", name="Not valid")).to_be_visible()
        _expect_checks(visitor, {"Status": "fails", "Evidence": "fails"})
        expect(visitor.locator("[data-check=status]")).to_contain_text("Revoked")
        audit(visitor, "verify-revoked")

        # And the downloaded file, uploaded on a fresh page: revoked too.
        visitor.goto("/credentials/verify/")
        visitor.get_by_label("Or choose the credential file").set_input_files(str(saved))
        visitor.get_by_role("button", name="Check").click()
        expect(visitor.locator("[data-check=signature]")).to_contain_text("Signature: holds.")
        expect(visitor.locator("[data-check=status]")).to_contain_text("Revoked")

        # The public page no longer offers it; its page is the learner's alone now.
        visitor.goto(f"/p/{SLUG}/")
        expect(visitor.get_by_text("Open Badge", exact=True)).to_have_count(0)
        gone = visitor.goto(f"/credentials/{credential.pk}/")
        assert gone is not None and gone.status == 404
    finally:
        visitor_context.close()
