"""Journey 3: a mentor works the review queue: scores a revision with the rubric and
requests changes, then accepts the student's next revision; two classmates review it
anonymously, and the author reads their feedback under neutral names."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from cohorts.models import Membership
from rubrics.selectors import rubric_criteria
from rubrics.services import rubric_install_defaults
from submissions import services as submissions
from submissions.content import normalised
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, MentorAssignmentFactory, UserFactory

from .support import audit, cohort_in_week, save_docs_screenshot, sign_in, sign_out, tiny_png

WEEK = 3
REQUEST = "Quantify the 400 vs 422 trade-off with the SDK replay, and attach the Schemathesis report."
ACCEPT = "The trade-off is now measured and the report backs every gate. Well done."


def first_revision(course, cohort, student):
    """Week 3 as the student submitted it: every section written, one evidence file."""
    week = course.weeks.get(number=WEEK)
    work = submissions.work_get_or_create(student=student, cohort=cohort, week=week)
    content = normalised({})
    content["concept"] = {
        "text": "Clients branch on the problem `type`, never on prose; RFC 9457 gives every 4xx one shape.",
        "objective_ids": list(week.objectives.order_by("order").values_list("pk", flat=True)[:2]),
    }
    content["lab"] = {
        "text": "Schemathesis against the claim API: 1,200 cases, 3 schema failures fixed.",
        "gates": {str(g.pk): {"status": "passed", "note": "CI run 41"} for g in week.lab.quality_gates.all()},
    }
    content["decision"] = {
        "options": "Always 400; 400 for syntax and 422 for semantics; 422 everywhere.",
        "tradeoffs": "Two codes are more precise for clients.",
        "risks": "Clients written against the 400-only contract break.",
        "decision_points": "Revisit when a second public client integrates.",
        "decision": "400 for malformed JSON, 422 for valid JSON that breaks a rule.",
        "rationale": "Matches RFC 9110 and what our SDKs expect.",
    }
    content["dossier"] = {
        "criteria": [
            {
                "criterion": "All invalid fields reported",
                "metric": "fields per 422",
                "target": "5 of 5",
                "measured": "5 of 5",
            }
        ],
        "next_actions": "Add the If-Match concurrency test.",
    }
    submissions.work_save_draft(work=work, content=content, expected_version=work.draft_version, by=student)
    submissions.artifact_upload(
        work=work,
        upload=SimpleUploadedFile("error-catalogue.png", tiny_png(), content_type="image/png"),
        proves="Every problem type with its status code",
        evidence_item=week.lab.evidence_list[0],
        by=student,
    )
    submissions.work_submit(work=work, by=student)
    return work


def second_revision(work, student):
    work.refresh_from_db()  # the mentor's request opened the draft again
    content = normalised(work.content)
    content["decision"]["tradeoffs"] = "Two codes are more precise: 18 of 20 SDK calls branch on 422 in the replay."
    content["revision_note"] = "Measured the 400 vs 422 trade-off with the SDK replay."
    submissions.work_save_draft(work=work, content=content, expected_version=work.draft_version, by=student)
    submissions.artifact_upload(
        work=work,
        upload=SimpleUploadedFile("schemathesis-report.txt", b"1200 cases, 0 failures\n", content_type="text/plain"),
        proves="Schemathesis run after the fixes",
        by=student,
    )
    return submissions.work_submit(work=work, by=student)


def score(page: Page, criteria, level: str, *, comment: str | None = None) -> None:
    """One click per criterion, on the level's label, inside that criterion's fieldset."""
    for criterion in criteria:
        group = page.get_by_role("group", name=re.compile(rf"^{re.escape(criterion.title)}"))
        group.get_by_role("radio", name=re.compile(rf"^{level} · \d")).check()
    if comment:
        page.get_by_role("textbox", name=f"Comment on {criteria[0].title}").fill(comment)


def test_a_mentor_reviews_a_revision_twice_and_peers_review_it_anonymously(page: Page, course):
    weekly_rubric, _ = rubric_install_defaults(course=course)
    criteria = rubric_criteria(weekly_rubric)
    cohort = cohort_in_week(course, WEEK)
    author = UserFactory(email="amara.okafor@example.com", name="Amara Okafor")
    mentor = UserFactory(email="jonas.weber@example.com", name="Jonas Weber")
    peers = [
        UserFactory(email="li.wei@example.com", name="Li Wei"),
        UserFactory(email="sofia.marquez@example.com", name="Sofía Márquez"),
    ]
    for student in (author, *peers):
        MembershipFactory(cohort=cohort, user=student, role=Membership.Role.STUDENT)
    MembershipFactory(cohort=cohort, user=mentor, role=Membership.Role.MENTOR)
    MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=author)
    work = first_revision(course, cohort, author)
    label = work.target_label

    # The mentor's queue lists the revision; the mentor scores it and asks for changes.
    page.goto("/review/")
    sign_in(page, email=mentor.email, password=DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    queue = page.get_by_role("table", name="Revisions awaiting review")
    expect(queue.get_by_role("row").filter(has_text=author.name)).to_have_count(1)
    audit(page, "review-queue")

    queue.get_by_role("link", name=f"Score {label} of {author.name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Revision 1: {label}")
    expect(page.get_by_role("region", name="Evidence")).to_contain_text("error-catalogue.png")
    audit(page, "score-revision-1")

    # Saved with nothing chosen: an error summary at the rubric takes focus, one line per
    # criterion and one for the decision, each leading to its question.
    page.get_by_role("button", name="Save score and decision").click()
    summary = page.get_by_role("alert").filter(has_text=re.compile("There are \\d+ problems"))
    expect(summary).to_be_focused()
    expect(summary.get_by_role("listitem")).to_have_count(len(criteria) + 1)
    summary.get_by_role("link", name=re.compile("^Decision:")).click()
    expect(page.get_by_role("radio", name=re.compile("^Request changes"))).to_be_focused()
    audit(page, "score-refused")

    score(page, criteria, "Developing", comment="The decision is sound but the trade-off is not measured.")
    page.get_by_role("textbox", name="Overall feedback").fill(REQUEST)
    page.get_by_role("radio", name=re.compile("^Request changes")).check()
    rubric = page.get_by_role("region", name=re.compile("^Score with"))
    save_docs_screenshot(page, "scoring", around=rubric.get_by_role("group", name=re.compile(criteria[1].title)))
    page.get_by_role("button", name="Save score and decision").click()
    expect(page.get_by_text(re.compile(r"Scored 50(\.00)? / 100 and sent back for changes\."))).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for review.")).to_be_visible()
    audit(page, "review-queue-empty")

    # The student revises (journey 2 does this in the browser).
    revision_2 = second_revision(work, author)

    page.reload()
    queue = page.get_by_role("table", name="Revisions awaiting review")
    row = queue.get_by_role("row").filter(has_text=author.name)
    expect(row.get_by_role("cell").nth(2)).to_have_text("2")
    audit(page, "review-queue-revision-2")
    row.get_by_role("link", name=f"Score {label} of {author.name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Revision 2: {label}")
    expect(page.get_by_role("heading", name="What changed (the student's note)")).to_be_visible()
    changes = page.get_by_role("region", name="Changes since revision 1")
    expect(changes.get_by_role("insertion").filter(has_text="replay")).not_to_have_count(0)
    expect(changes).to_contain_text("schemathesis-report.txt")
    earlier = page.get_by_role("region", name="Feedback on revision 1")
    expect(earlier.get_by_role("article", name=mentor.name)).to_contain_text(REQUEST)
    audit(page, "score-revision-2")

    score(page, criteria, "Exemplary")
    page.get_by_role("textbox", name="Overall feedback").fill(ACCEPT)
    page.get_by_role("radio", name="Accept this revision").check()
    page.get_by_role("button", name="Save score and decision").click()
    expect(page.get_by_text(re.compile(r"Scored 100(\.00)? / 100 and accepted\."))).to_be_visible()
    audit(page, "review-queue-after-accept")
    work.refresh_from_db()
    assert work.state == "accepted"
    sign_out(page)
    audit(page, "signed-out-mentor")

    # Two classmates were assigned when the revision came in; each reviews it, never seeing who wrote it.
    for number, peer in enumerate(peers, start=1):
        page.goto("/accounts/login/")
        sign_in(page, email=peer.email, password=DEFAULT_PASSWORD, audit_form=False)
        expect(page.get_by_role("heading", level=1)).to_have_text("Your dashboard")
        audit(page, f"peer-dashboard-{number}")
        page.get_by_role("link", name="Peer reviews").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Peer reviews")
        task = page.get_by_role("table", name="Your peer reviews").get_by_role("row").filter(has_text="revision 2")
        expect(task).to_contain_text("Open")
        expect(page.get_by_text(author.name)).to_have_count(0)
        audit(page, f"peer-queue-{number}")

        task.get_by_role("link", name=f"Review {label}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Peer review: {label}, revision 2")
        expect(page.get_by_role("link", name="Evidence file 1")).to_be_visible()
        for private in (author.name, author.email, "error-catalogue.png"):
            expect(page.get_by_text(private)).to_have_count(0)
            assert private not in page.content(), f"the peer review page shows {private!r}"
        audit(page, f"peer-review-{number}")

        score(page, criteria, "Proficient")
        page.get_by_role("textbox", name="Overall feedback").fill(f"Clear error catalogue (peer {number}).")
        page.get_by_role("button", name="Send peer review").click()
        expect(page.get_by_text("Thank you: your peer review was sent.")).to_be_visible()
        done = page.get_by_role("table", name="Your peer reviews").get_by_role("row").filter(has_text="revision 2")
        expect(done).to_contain_text("Done")
        audit(page, f"peer-queue-{number}-done")
        sign_out(page)
        audit(page, f"signed-out-peer-{number}")

    # The author reads both peer reviews under neutral names.
    page.goto(f"/review/feedback/{revision_2.pk}/")
    sign_in(page, email=author.email, password=DEFAULT_PASSWORD, audit_form=False)
    peer_feedback = page.get_by_role("region", name="Peer feedback")
    expect(peer_feedback.get_by_role("article")).to_have_count(2)
    expect(peer_feedback.get_by_role("article", name="Peer reviewer 1")).to_be_visible()
    for peer in peers:
        expect(page.get_by_text(peer.name)).to_have_count(0)
    expect(page.get_by_role("region", name="Mentor feedback")).to_contain_text(ACCEPT)
    audit(page, "author-feedback")
