"""Journey 4: a learner publishes an accepted week to a public portfolio, with a narrative
and one proof file; a signed-out visitor reads the page, downloads the proof and checks its
SHA-256 against the digest the page shows."""

import hashlib
import re
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Browser, Page, expect

from cohorts.models import Membership
from submissions import services as submissions
from submissions.content import normalised
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, MentorAssignmentFactory, UserFactory

from .support import audit, sign_in
from .test_journey_student_week import cohort_in_week

WEEK = 3
SLUG = "amara-builds-apis"
PROOF_NAME = "schemathesis-report.txt"
PROOF_BYTES = b"Schemathesis against the claim API\n1200 cases, 0 failures\nRFC 9457 problem details: 14 types\n"
NARRATIVE = (
    "Clients of the claim API branched on error prose. I replaced it with **RFC 9457** problem details: "
    "400 for malformed JSON, 422 for valid JSON that breaks a rule. 1,200 generated cases now pass."
)


def accepted_week(course, cohort, student, mentor):
    """Week 3 submitted with two files and accepted by the mentor, through the services."""
    week = course.weeks.get(number=WEEK)
    work = submissions.work_get_or_create(student=student, cohort=cohort, week=week)
    content = normalised({})
    content["concept"] = {
        "text": "Clients branch on the problem `type`, never on prose; RFC 9457 gives every 4xx one shape.",
        "objective_ids": list(week.objectives.order_by("order").values_list("pk", flat=True)[:2]),
    }
    content["decision"] = {
        "options": "Always 400; 400 for syntax and 422 for semantics; 422 everywhere.",
        "decision": "400 for malformed JSON, 422 for valid JSON that breaks a rule.",
        "rationale": "Matches RFC 9110 and what our SDKs expect.",
    }
    submissions.work_save_draft(work=work, content=content, expected_version=work.draft_version, by=student)
    submissions.artifact_upload(
        work=work,
        upload=SimpleUploadedFile(PROOF_NAME, PROOF_BYTES, content_type="text/plain"),
        proves="Schemathesis run after the fixes",
        by=student,
    )
    submissions.artifact_upload(
        work=work,
        upload=SimpleUploadedFile("scratch-notes.txt", b"first ideas, not for publishing\n", content_type="text/plain"),
        proves="Working notes",
        by=student,
    )
    revision = submissions.work_submit(work=work, by=student)
    submissions.work_accept(work=work, revision=revision, by=mentor)
    return work


def test_a_learner_publishes_a_week_and_a_visitor_verifies_the_proof(page: Page, browser: Browser, course, live_server):
    cohort = cohort_in_week(course, WEEK)
    student = UserFactory(email="amara.okafor@example.com", name="Amara Okafor")
    mentor = UserFactory(email="jonas.weber@example.com", name="Jonas Weber")
    MembershipFactory(cohort=cohort, user=student, role=Membership.Role.STUDENT)
    MembershipFactory(cohort=cohort, user=mentor, role=Membership.Role.MENTOR)
    MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=student)
    work = accepted_week(course, cohort, student, mentor)
    label = work.target_label
    title = course.weeks.get(number=WEEK).title

    # The learner signs in and opens the portfolio editor from the navigation.
    sign_in(page, email=student.email, password=DEFAULT_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Portfolio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your portfolio")
    publishable = page.get_by_role("region", name="Accepted work you can publish")
    expect(publishable.get_by_role("listitem").filter(has_text=label)).to_have_count(1)
    audit(page, "portfolio-editor")

    # Your story: an address, a headline, and the page made public.
    story = page.get_by_role("region", name="Your story")
    story.get_by_role("textbox", name="Address").fill(SLUG)
    story.get_by_role("textbox", name="Headline").fill("Backend engineer: APIs that fail clearly")
    story.get_by_role("radio", name="Public", exact=True).check()
    story.get_by_role("button", name="Save portfolio").click()
    expect(page.get_by_text("Portfolio saved.")).to_be_visible()
    expect(page.get_by_role("link", name=f"{live_server.url}/p/{SLUG}/")).to_be_visible()
    audit(page, "portfolio-saved")

    # Publish the accepted week with a narrative and one of its two files as proof.
    page.get_by_role("region", name="Accepted work you can publish").get_by_role("link", name="Publish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Publish {label}")
    audit(page, "portfolio-publish")
    page.get_by_role("textbox", name="Outcome narrative").fill(NARRATIVE)
    page.get_by_role("checkbox", name=re.compile(rf"^{re.escape(PROOF_NAME)}")).check()
    expect(page.get_by_role("checkbox", name=re.compile(r"^scratch-notes\.txt"))).not_to_be_checked()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text(f"Published “{label}” to your portfolio.")).to_be_visible()
    entries = page.get_by_role("region", name="Published entries")
    row = entries.get_by_role("row").filter(has_text=title)
    expect(row.get_by_text("Published", exact=True)).to_be_visible()
    expect(row.get_by_role("cell").nth(2)).to_have_text("1 item")
    audit(page, "portfolio-published")

    # A visitor with no account, in a browser of their own, reads the page.
    visitor_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB", accept_downloads=True
    )
    try:
        visitor = visitor_context.new_page()
        visitor._e2e_recorder = page._e2e_recorder  # one numbered folder for the whole journey
        visitor.goto(f"/p/{SLUG}/")
        expect(visitor.get_by_role("heading", level=1)).to_have_text(student.display_name)
        expect(visitor.get_by_text("Backend engineer: APIs that fail clearly")).to_be_visible()
        entry = visitor.get_by_role("article").filter(has=visitor.get_by_role("heading", name=title))
        expect(entry.get_by_role("strong").filter(has_text="RFC 9457")).to_be_visible()
        expect(entry.get_by_role("link", name="scratch-notes.txt")).to_have_count(0)
        proof = entry.get_by_role("listitem").filter(has=visitor.get_by_role("link", name=PROOF_NAME))
        digest = proof.get_by_text(re.compile(r"^[0-9a-f]{64}$"))
        expect(digest).to_be_visible()
        shown_digest = digest.inner_text().strip()
        audit(visitor, "public-portfolio", docs_screenshot="public-portfolio")

        with visitor.expect_download() as download_info:
            proof.get_by_role("link", name=PROOF_NAME).click()
        download = download_info.value
        assert download.suggested_filename == PROOF_NAME
        downloaded = Path(download.path()).read_bytes()
        assert hashlib.sha256(downloaded).hexdigest() == shown_digest
        assert downloaded == PROOF_BYTES
    finally:
        visitor_context.close()
