"""Journey 4: a learner publishes two accepted weeks and a capstone deliverable to a public
portfolio, each with a narrative and one proof file; a signed-out visitor reads the page,
downloads a proof and checks its SHA-256 against the digest the page shows, and gets 304 Not
Modified when asking again with the page's ETag. The learner unpublishes one week: the
visitor's next response no longer has it, and its proof is gone (404)."""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Browser, Page, expect

from cohorts.models import Membership
from curriculum.models import CapstoneDeliverable
from portfolios.selectors import PHASE_TITLES
from submissions import services as submissions
from submissions.content import normalised
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, MentorAssignmentFactory, UserFactory

from .support import audit, cohort_in_week, sign_in, watch_for_problems

# The cohort runs week 9, the first week of phase 2: the two weeks land in different phases.
CURRENT_WEEK = 9
SLUG = "amara-builds-apis"
SCRATCH_NAME = "scratch-notes.txt"


@dataclass(frozen=True)
class Piece:
    """One accepted work the learner publishes: its proof file and the narrative written for it."""

    proof_name: str
    proof_bytes: bytes
    narrative: str
    # Text the narrative renders in bold: how the test finds the narrative on the public page.
    strong: str


WEEK_3 = Piece(
    proof_name="schemathesis-report.txt",
    proof_bytes=b"Schemathesis against the claim API\n1200 cases, 0 failures\nRFC 9457 problem details: 14 types\n",
    narrative=(
        "Clients of the claim API branched on error prose. I replaced it with **RFC 9457** problem details: "
        "400 for malformed JSON, 422 for valid JSON that breaks a rule. 1,200 generated cases now pass."
    ),
    strong="RFC 9457",
)
WEEK_9 = Piece(
    proof_name="zap-baseline.txt",
    proof_bytes=b"OWASP ZAP baseline against the claim API\nhigh 0, medium 0, low 2 (accepted)\nsession fixation: not vulnerable\n",
    narrative=(
        "Sessions outlived a password change. I moved the API to **short-lived access tokens** with rotating "
        "refresh tokens and revocation on password change; the ZAP baseline scan below finds nothing high or medium."
    ),
    strong="short-lived access tokens",
)
CAPSTONE = Piece(
    proof_name="contract-tests.txt",
    proof_bytes=b"pytest tests/contract -q\n48 passed in 6.2s\nschemathesis: 0 schema violations\n",
    narrative=(
        "The service core: a contract-first API whose **48 contract tests** run on every push, with "
        "request and response schemas validated at the edge."
    ),
    strong="48 contract tests",
)


def accepted_work(cohort, student, mentor, piece: Piece, *, week=None, deliverable=None):
    """A week or a capstone deliverable submitted with two files (the proof and some scratch
    notes) and accepted by the mentor, through the submissions services."""
    work = submissions.work_get_or_create(student=student, cohort=cohort, week=week, deliverable=deliverable)
    content = normalised({})
    if week is not None:
        content["concept"] = {
            "text": "Clients branch on the problem `type`, never on prose; RFC 9457 gives every 4xx one shape.",
            "objective_ids": list(week.objectives.order_by("order").values_list("pk", flat=True)[:2]),
        }
    else:
        content["deliverable"] = {"text": "The claim service with contract tests and schema validation."}
    content["decision"] = {
        "options": "Always 400; 400 for syntax and 422 for semantics; 422 everywhere.",
        "decision": "400 for malformed JSON, 422 for valid JSON that breaks a rule.",
        "rationale": "Matches RFC 9110 and what our SDKs expect.",
    }
    submissions.work_save_draft(work=work, content=content, expected_version=work.draft_version, by=student)
    submissions.artifact_upload(
        work=work,
        upload=SimpleUploadedFile(piece.proof_name, piece.proof_bytes, content_type="text/plain"),
        proves="The measured result",
        by=student,
    )
    submissions.artifact_upload(
        work=work,
        upload=SimpleUploadedFile(SCRATCH_NAME, b"first ideas, not for publishing\n", content_type="text/plain"),
        proves="Working notes",
        by=student,
    )
    revision = submissions.work_submit(work=work, by=student)
    submissions.work_accept(work=work, revision=revision, by=mentor)
    return work


def publish(page: Page, *, label: str, title: str, piece: Piece, published_count: int, name: str) -> None:
    """From the editor: Publish the accepted work with its narrative and only its proof file."""
    publishable = page.get_by_role("region", name="Accepted work you can publish")
    publishable.get_by_role("listitem").filter(has_text=label).get_by_role("link", name="Publish", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Publish {label}")
    audit(page, f"portfolio-publish-{name}")
    page.get_by_role("textbox", name="Outcome narrative").fill(piece.narrative)
    page.get_by_role("checkbox", name=re.compile(rf"^{re.escape(piece.proof_name)}")).check()
    expect(page.get_by_role("checkbox", name=re.compile(rf"^{re.escape(SCRATCH_NAME)}"))).not_to_be_checked()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text(f"Published “{label}” to your portfolio.")).to_be_visible()
    entries = page.get_by_role("region", name="Published entries")
    expect(entries.get_by_text("Published", exact=True)).to_have_count(published_count)
    row = entries.get_by_role("row").filter(has_text=title)
    expect(row.get_by_text("Published", exact=True)).to_be_visible()
    expect(row.get_by_role("cell").nth(2)).to_have_text("1 item")
    audit(page, f"portfolio-published-{name}")


def test_a_learner_publishes_weeks_and_a_capstone_and_a_visitor_verifies_the_proof(
    page: Page, browser: Browser, course, live_server
):
    cohort = cohort_in_week(course, CURRENT_WEEK)
    student = UserFactory(email="amara.okafor@example.com", name="Amara Okafor")
    mentor = UserFactory(email="jonas.weber@example.com", name="Jonas Weber")
    MembershipFactory(cohort=cohort, user=student, role=Membership.Role.STUDENT)
    MembershipFactory(cohort=cohort, user=mentor, role=Membership.Role.MENTOR)
    MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=student)
    week_3, week_9 = course.weeks.get(number=3), course.weeks.get(number=9)
    deliverable = (
        CapstoneDeliverable.objects.filter(project__course=course, project__number=1)
        .select_related("project")
        .order_by("order")
        .first()
    )
    works = {
        "week-3": accepted_work(cohort, student, mentor, WEEK_3, week=week_3),
        "week-9": accepted_work(cohort, student, mentor, WEEK_9, week=week_9),
        "capstone": accepted_work(cohort, student, mentor, CAPSTONE, deliverable=deliverable),
    }
    project = f"Project {deliverable.project.number}: {deliverable.project.title}"

    # The learner signs in, lands on the dashboard and opens the portfolio editor from the navigation.
    sign_in(page, email=student.email, password=DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your dashboard")
    audit(page, "learner-dashboard")
    page.get_by_role("navigation").get_by_role("link", name="Portfolio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your portfolio")
    publishable = page.get_by_role("region", name="Accepted work you can publish")
    for work in works.values():
        expect(publishable.get_by_role("listitem").filter(has_text=work.target_label)).to_have_count(1)
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

    # Publish both weeks and the capstone deliverable, each with a narrative and one of its two files.
    titles = {"week-3": week_3.title, "week-9": week_9.title, "capstone": deliverable.title}
    pieces = {"week-3": WEEK_3, "week-9": WEEK_9, "capstone": CAPSTONE}
    for count, key in enumerate(works, start=1):
        label = works[key].target_label
        publish(page, label=label, title=titles[key], piece=pieces[key], published_count=count, name=key)

    # A visitor with no account, in a browser of their own, reads the page.
    page_url = f"{live_server.url}/p/{SLUG}/"
    visitor_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB", accept_downloads=True
    )
    try:
        visitor = visitor_context.new_page()
        visitor._e2e_recorder = page._e2e_recorder  # one numbered folder for the whole journey
        watch_for_problems(visitor, page._e2e_problems)
        first = visitor.goto(page_url)
        assert first is not None and first.status == 200
        etag = first.headers["etag"]
        expect(visitor.get_by_role("heading", level=1)).to_have_text(student.display_name)
        expect(visitor.get_by_text("Backend engineer: APIs that fail clearly")).to_be_visible()

        # Each week in the section of its phase, the deliverable under its project in Capstone.
        def entry_in(section_name: str, title: str):
            section = visitor.get_by_role("region", name=section_name, exact=True)
            return section.get_by_role("article").filter(has=visitor.get_by_role("heading", name=title, exact=True))

        entries = {
            "week-3": entry_in(PHASE_TITLES[1], week_3.title),
            "week-9": entry_in(PHASE_TITLES[2], week_9.title),
            "capstone": entry_in("Capstone", deliverable.title),
        }
        capstone_section = visitor.get_by_role("region", name="Capstone", exact=True)
        expect(capstone_section.get_by_role("heading", name=project, exact=True)).to_be_visible()
        proof_links = {}
        for key, piece in pieces.items():
            entry = entries[key]
            expect(entry).to_have_count(1)
            expect(entry.get_by_role("strong").filter(has_text=piece.strong)).to_be_visible()
            expect(entry.get_by_role("link", name=SCRATCH_NAME)).to_have_count(0)
            proof_links[key] = entry.get_by_role("link", name=piece.proof_name)
            expect(proof_links[key]).to_be_visible()
        audit(visitor, "public-portfolio", docs_screenshot="public-portfolio")

        # The visitor downloads the week 3 proof and checks it against the digest shown beside it.
        proof = (
            entries["week-3"].get_by_role("listitem").filter(has=visitor.get_by_role("link", name=WEEK_3.proof_name))
        )
        digest = proof.get_by_text(re.compile(r"^[0-9a-f]{64}$"))
        expect(digest).to_be_visible()
        shown_digest = digest.inner_text().strip()
        with visitor.expect_download() as download_info:
            proof_links["week-3"].click()
        download = download_info.value
        assert download.suggested_filename == WEEK_3.proof_name
        downloaded = Path(download.path()).read_bytes()
        assert hashlib.sha256(downloaded).hexdigest() == shown_digest
        assert downloaded == WEEK_3.proof_bytes

        # Asking again with the page's ETag: 304 Not Modified, no body.
        repeat = visitor.request.get(page_url, headers={"If-None-Match": etag})
        assert repeat.status == 304, f"expected 304 for If-None-Match {etag}, got {repeat.status}"
        assert repeat.body() == b""
        week_9_proof_url = f"{live_server.url}{proof_links['week-9'].get_attribute('href')}"
        assert visitor.request.get(week_9_proof_url).status == 200

        # The learner takes week 9 off the page.
        row = page.get_by_role("region", name="Published entries").get_by_role("row").filter(has_text=week_9.title)
        row.get_by_role("button", name="Unpublish").click()
        expect(page.get_by_text(f"“{week_9.title}” is no longer on your public page.")).to_be_visible()
        row = page.get_by_role("region", name="Published entries").get_by_role("row").filter(has_text=week_9.title)
        expect(row.get_by_text("Unpublished", exact=True)).to_be_visible()
        audit(page, "portfolio-unpublished-week-9")

        # The visitor's next response no longer has week 9 (nor its phase); the others stay.
        visitor.reload()
        expect(visitor.get_by_role("heading", name=week_9.title)).to_have_count(0)
        expect(visitor.get_by_role("region", name=PHASE_TITLES[2], exact=True)).to_have_count(0)
        expect(visitor.get_by_text(WEEK_9.proof_name)).to_have_count(0)
        expect(entries["week-3"]).to_have_count(1)
        expect(entries["capstone"]).to_have_count(1)
        audit(visitor, "public-portfolio-after-unpublish")
        # The old ETag no longer matches: a full page without the entry, under a new ETag.
        revalidated = visitor.request.get(page_url, headers={"If-None-Match": etag})
        assert revalidated.status == 200
        assert revalidated.headers["etag"] != etag
        assert week_9.title not in revalidated.text()
        assert WEEK_9.proof_name not in revalidated.text()

        # The unpublished entry's proof is gone too.
        gone = visitor.goto(week_9_proof_url)
        assert gone is not None and gone.status == 404
        expect(visitor.get_by_role("heading", level=1)).to_have_text("Portfolio not found")
        audit(visitor, "public-proof-after-unpublish")
    finally:
        visitor_context.close()
