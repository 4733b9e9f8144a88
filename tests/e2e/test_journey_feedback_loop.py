"""Journey (issue 17): the feedback loop closes. A mentor selects a sentence and comments on
it, an anonymous peer comments on another, the mentor requests changes; the student sees the
threads beside their sections, replies, revises, marks two threads addressed and submits;
the mentor sees them on the scoring page with the diff of the anchored text, resolves one,
reopens one and accepts."""

import re

from playwright.sync_api import Page, expect

from cohorts.models import Membership
from feedback.models import Anchor, Thread
from rubrics.models import PeerAssignment
from rubrics.selectors import rubric_criteria
from rubrics.services import rubric_install_defaults
from submissions import services as submissions
from submissions.content import normalised
from submissions.models import WeeklyWork
from tests.factories import (
    DEFAULT_PASSWORD,
    MembershipFactory,
    MentorAssignmentFactory,
    PeerAssignmentFactory,
    UserFactory,
)

from .support import audit, cohort_in_week, save_docs_screenshot, sign_in, sign_out

WEEK = 4
CLAIM = "The ORM issues one query per order line, so the list page makes 51 queries."
KEPT = "Caching the rendered list hides the slow query but does not remove it."
MEASURED = "A trace shows 61 % of the time in 51 queries, one per order line."
PEER_QUOTE = "A covering index is the cheapest fix"


def select_text(page: Page, section: str, text: str) -> None:
    """Select `text` inside the section as a person would with the mouse (a DOM range over
    the text node holding it), which fires the page's selectionchange."""
    found = page.evaluate(
        """([section, text]) => {
            const root = document.querySelector(`[data-section="${section}"]`);
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const node = walker.currentNode;
                const at = node.data.indexOf(text);
                if (at >= 0) {
                    const range = document.createRange();
                    range.setStart(node, at);
                    range.setEnd(node, at + text.length);
                    const selection = window.getSelection();
                    selection.removeAllRanges();
                    selection.addRange(range);
                    return true;
                }
            }
            return false;
        }""",
        [section, text],
    )
    assert found, f"{text!r} is not on the page in section {section}"


def comment_on_selection(page: Page, section: str, text: str, body: str) -> None:
    select_text(page, section, text)
    page.get_by_role("button", name="Comment on this").click()
    form = page.locator("form[data-comment-form]")
    expect(form.get_by_text(re.compile("^Quoting:"))).to_contain_text(text)
    expect(form.get_by_role("textbox", name="Comment")).to_be_focused()
    form.get_by_role("textbox", name="Comment").fill(body)
    form.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Comment posted.")).to_be_visible()


def score(page: Page, criteria, level: str) -> None:
    for criterion in criteria:
        group = page.get_by_role("group", name=re.compile(rf"^{re.escape(criterion.title)}"))
        group.get_by_role("radio", name=re.compile(rf"^{level} · \d")).check()


def first_revision(course, cohort, student) -> WeeklyWork:
    week = course.weeks.get(number=WEEK)
    work = submissions.work_get_or_create(student=student, cohort=cohort, week=week)
    content = normalised({})
    content["concept"] = {"text": f"## Where the time goes\n\n{CLAIM}\n\n{KEPT}", "objective_ids": []}
    content["lab"] = {"text": "Ran k6 against staging: p95 900 ms at 200 req/s.", "gates": {}}
    content["decision"] = {
        "options": "Index, cache, denormalise.",
        "decision": "Add a covering index on (order_id, position).",
        "rationale": f"{PEER_QUOTE} that keeps every read consistent.",
    }
    submissions.work_save_draft(work=work, content=content, expected_version=work.draft_version, by=student)
    submissions.work_submit(work=work, by=student)
    work.refresh_from_db()
    return work


def test_the_feedback_loop_from_a_selected_sentence_to_accepted(page: Page, course):
    weekly_rubric, _ = rubric_install_defaults(course=course)
    criteria = rubric_criteria(weekly_rubric)
    cohort = cohort_in_week(course, WEEK)
    author = UserFactory(email="amara.okafor@example.com", name="Amara Okafor")
    mentor = UserFactory(email="jonas.weber@example.com", name="Jonas Weber")
    peer = UserFactory(email="li.wei@example.com", name="Li Wei")
    for student in (author, peer):
        MembershipFactory(cohort=cohort, user=student, role=Membership.Role.STUDENT)
    MembershipFactory(cohort=cohort, user=mentor, role=Membership.Role.MENTOR)
    MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=author)
    work = first_revision(course, cohort, author)
    revision_1 = work.latest_revision
    other = UserFactory(email="noor.haddad@example.com", name="Noor Haddad")
    MembershipFactory(cohort=cohort, user=other, role=Membership.Role.STUDENT)
    MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=other)
    # The submit assigned the only classmate as an anonymous peer reviewer (cohort default).
    assignment = PeerAssignment.objects.filter(revision=revision_1, reviewer=peer).first() or PeerAssignmentFactory(
        revision=revision_1, reviewer=peer, anonymous=True
    )
    assert assignment.anonymous

    # The mentor selects a sentence of the concept analysis and comments on it.
    page.goto(f"/review/revisions/{revision_1.pk}/")
    sign_in(page, email=mentor.email, password=DEFAULT_PASSWORD, audit_form=False)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Revision 1: {work.target_label}")
    audit(page, "feedback-scoring-r1")
    comment_on_selection(page, "concept", CLAIM, "How do you know it is the ORM? Show the trace.")
    thread = page.locator("[data-section=concept] article.thread")
    expect(thread).to_contain_text(CLAIM)
    expect(thread).to_contain_text("How do you know it is the ORM?")
    comment_on_selection(page, "concept", KEPT, "Say what you would cache later.")
    save_docs_screenshot(page, "feedback-thread", around=page.locator("[data-section=concept]"))
    audit(page, "feedback-scoring-r1-commented")
    sign_out(page)

    # An anonymous peer comments from the peer review page; the author's name is nowhere.
    page.goto(f"/review/peer/{assignment.pk}/")
    sign_in(page, email=peer.email, password=DEFAULT_PASSWORD, audit_form=False)
    comment_on_selection(page, "decision", PEER_QUOTE, "Cheapest in what: build time, storage, writes?")
    assert author.name not in page.content()
    audit(page, "feedback-peer-review")
    sign_out(page)

    # The mentor requests changes.
    page.goto(f"/review/revisions/{revision_1.pk}/")
    sign_in(page, email=mentor.email, password=DEFAULT_PASSWORD, audit_form=False)
    score(page, criteria, "Developing")
    page.get_by_role("textbox", name="Overall feedback").fill("Back each claim with a measurement.")
    page.get_by_role("radio", name=re.compile("^Request changes")).check()
    page.get_by_role("button", name=re.compile("^Save score and decision")).click()
    expect(page.get_by_text(re.compile("sent back for changes"))).to_be_visible()
    sign_out(page)

    # The student gets one notification for the request, and opens the workspace.
    page.goto("/notifications/")
    sign_in(page, email=author.email, password=DEFAULT_PASSWORD, audit_form=False)
    told = page.locator("h2.notification-title").filter(has_text="Changes requested")
    expect(told).to_have_count(1)
    audit(page, "feedback-notifications-changes-requested")
    page.goto(f"/work/{work.pk}/")
    # The threads beside their sections, the peer as "Peer reviewer 1".
    concept = page.locator("section[data-section=concept]")
    expect(concept.locator("article.thread")).to_have_count(2)
    decision = page.locator("section[data-section=decision]")
    expect(decision.locator("article.thread")).to_contain_text("Peer reviewer 1")
    assert peer.name not in page.content()
    audit(page, "feedback-workspace-threads")
    claim_thread = concept.locator("article.thread").filter(has_text="How do you know")
    claim_thread.get_by_role("textbox", name="Reply").fill("I will add the profiler trace.")
    claim_thread.get_by_role("button", name="Reply").click()
    expect(page.get_by_text("Reply posted.")).to_be_visible()

    # The student revises the claim, marks two threads addressed and submits revision 2.
    text = page.get_by_role("textbox", name="Concept analysis")
    text.fill(f"## Where the time goes\n\n{MEASURED}\n\n{KEPT}")
    page.get_by_role("button", name="Save draft").click()
    claim_thread = page.locator("section[data-section=concept] article.thread").filter(has_text="How do you know")
    claim_thread.get_by_role("textbox", name=re.compile("How your next revision answers it")).fill("Trace added.")
    claim_thread.get_by_role("button", name="Mark addressed").click()
    expect(page.get_by_text(re.compile("^Marked addressed"))).to_be_visible()
    peer_thread = page.locator("section[data-section=decision] article.thread")
    peer_thread.get_by_role("textbox", name=re.compile("How your next revision answers it")).fill("Cheapest to build.")
    peer_thread.get_by_role("button", name="Mark addressed").click()
    expect(page.get_by_text(re.compile("^Marked addressed"))).to_be_visible()
    audit(page, "feedback-workspace-addressed")
    page.get_by_role("button", name="Save and submit revision 2").click()
    expect(page.get_by_text("Submitted as revision 2.")).to_be_visible()
    sign_out(page)

    # Meanwhile a classmate's week waits in the same mentor's queue.
    other_work = first_revision(course, cohort, other)
    work.refresh_from_db()
    revision_2 = work.latest_revision
    claim_thread = Thread.objects.get(comments__body__startswith="How do you know")
    assert Anchor.objects.get(thread=claim_thread, revision=revision_2).state == "outdated"
    assert Anchor.objects.filter(revision=revision_2, state="anchored", quote=KEPT).exists()

    # The mentor sees the addressed threads with the diff of the anchored text, resolves one,
    # reopens the other, and accepts.
    page.goto(f"/review/revisions/{revision_2.pk}/")
    sign_in(page, email=mentor.email, password=DEFAULT_PASSWORD, audit_form=False)
    summary = page.get_by_role("region", name="Comments on this revision")
    expect(summary).to_contain_text("2 the student says are addressed")
    claim = page.locator("article.thread").filter(has_text="How do you know")
    expect(claim).to_contain_text("Outdated: the text changed.")
    expect(claim.get_by_role("insertion").filter(has_text="trace")).not_to_have_count(0)
    expect(claim.get_by_role("deletion").filter(has_text="ORM")).not_to_have_count(0)
    expect(claim).to_contain_text("Trace added.")
    save_docs_screenshot(page, "feedback-addressed", around=claim)
    audit(page, "feedback-scoring-r2")
    claim.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("Thread resolved.")).to_be_visible()
    page.locator("article.thread").filter(has_text="Cheapest in what").get_by_role("button", name="Reopen").click()
    expect(page.get_by_text("Thread reopened.")).to_be_visible()
    claim_thread.refresh_from_db()
    assert claim_thread.status == Thread.Status.RESOLVED
    assert Thread.objects.get(comments__body__startswith="Cheapest in what").status == Thread.Status.OPEN
    # Scored with the keyboard: on each criterion, "1" picks its first (best) level, "J" moves on.
    first = page.get_by_role("group", name=re.compile(rf"^{re.escape(criteria[0].title)}")).get_by_role("radio").first
    first.focus()
    for _ in criteria:
        page.keyboard.press("1")
        page.keyboard.press("j")
    for criterion in criteria:
        group = page.get_by_role("group", name=re.compile(rf"^{re.escape(criterion.title)}"))
        expect(group.get_by_role("radio", name=re.compile(r"^Exemplary · \d"))).to_be_checked()
    page.get_by_role("textbox", name="Overall feedback").fill("Every claim is measured now.")
    page.get_by_role("radio", name="Accept this revision").check()
    page.get_by_role("button", name="Save and open the next in the queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Revision 1: {other_work.target_label}")
    expect(page.get_by_text(other.name).first).to_be_visible()
    sign_out(page)
    work.refresh_from_db()
    assert work.state == "accepted"

    # The student is told: accepted.
    page.goto("/notifications/")
    sign_in(page, email=author.email, password=DEFAULT_PASSWORD, audit_form=False)
    expect(page.locator("h2.notification-title").filter(has_text="accepted")).to_have_count(1)
    audit(page, "feedback-notifications-accepted")
