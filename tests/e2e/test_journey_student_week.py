"""Journey 2: a student signs in, fills every section of this week's workspace, uploads an
evidence file, self-assesses against the rubric, submits; the mentor requests changes; the
student reads the feedback (their self-assessment beside it), revises, writes the
retrospective, submits again and compares the two revisions."""

import re

from playwright.sync_api import Page, expect

from cohorts.models import Membership
from rubrics.models import Assessment
from rubrics.selectors import rubric_criteria
from rubrics.services import assessment_record, rubric_install_defaults, weighted_score
from submissions.models import WeeklyWork
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, MentorAssignmentFactory, UserFactory

from .support import audit, cohort_in_week, sign_in, tiny_png

WEEK = 3
SELF_NOTE = "Strong on the error contract; the trade-off between 400 and 422 is not measured yet."
MENTOR_FEEDBACK = "The error catalogue is solid. Quantify the 400 vs 422 trade-off and add the Schemathesis run."


def fill(page: Page, name: str, text: str) -> None:
    page.get_by_role("textbox", name=name, exact=True).fill(text)


def wait_for_autosave(page: Page) -> None:
    """submissions.js saves two seconds after typing stops and says so in the status line.
    A slow machine may have saved once mid-typing: after the first "saved", give the last
    keystroke's timer its two seconds, then wait for that save to finish too, so a following
    submit never races an automatic save."""
    saved = page.get_by_role("status").filter(has_text=re.compile(r"Draft saved at \d"))
    expect(saved).to_be_visible()
    page.wait_for_timeout(2_100)
    expect(saved).to_be_visible()


def test_a_student_works_a_week_through_a_request_for_changes(page: Page, course):
    weekly_rubric, _ = rubric_install_defaults(course=course)
    cohort = cohort_in_week(course, WEEK)
    student = UserFactory(email="amara.okafor@example.com", name="Amara Okafor")
    mentor = UserFactory(email="jonas.weber@example.com", name="Jonas Weber")
    MembershipFactory(cohort=cohort, user=student, role=Membership.Role.STUDENT)
    MembershipFactory(cohort=cohort, user=mentor, role=Membership.Role.MENTOR)
    MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=student)
    week = course.weeks.get(number=WEEK)
    objectives = list(week.objectives.order_by("order"))
    gates = list(week.lab.quality_gates.order_by("order"))
    evidence_item = week.lab.evidence_list[0]

    # Signing in through the real form from a protected page brings the student back to it.
    page.goto("/dashboard/")
    sign_in(page, email=student.email, password=DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your dashboard")
    this_week = page.get_by_role("region", name=re.compile(rf"^This week: Week {WEEK}"))
    expect(this_week).to_contain_text(week.title)
    audit(page, "dashboard")

    # Not started yet: the dashboard starts it with a button (a POST; links never create work).
    this_week.get_by_role("button", name="Start this week's workspace").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(week.title)
    expect(page.get_by_role("status")).to_contain_text("Not saved yet.")
    audit(page, "workspace-empty")

    # 1. Concept analysis, linked to two outcome objectives.
    for objective in objectives[:2]:
        page.get_by_role("checkbox", name=objective.text).check()
    fill(
        page,
        "Concept analysis",
        "Error contracts are part of the API: clients branch on `type`, never on prose. "
        "RFC 9457 problem details give every 4xx a stable, documented shape.",
    )
    # 2. Lab report and every quality gate.
    fill(page, "Lab report", "Ran Schemathesis against the claim API: 1,200 cases, 3 schema failures fixed.")
    for gate in gates:
        page.get_by_role("combobox", name=f"Result of gate {gate.order}").select_option(label="Passed")
        fill(page, f"Note for gate {gate.order}", f"Checked in CI run 41 (gate {gate.order}).")
    # 3. Decision record.
    decision = {
        "Options considered": "Always 400; 400 for syntax and 422 for semantics; 422 everywhere.",
        "Trade-offs": "Two codes are more precise for clients but need a documented rule.",
        "Risks": "Clients written against the old 400-only contract break.",
        "Decision points": "Revisit when a second public client integrates.",
        "Decision": "400 for malformed JSON, 422 for valid JSON that breaks a rule.",
        "Rationale for stakeholder review": "Matches RFC 9110 semantics and what our SDKs already expect.",
    }
    for label, text in decision.items():
        fill(page, label, text)
    # 4. Implementation dossier: one measurable success criterion, and next actions.
    for label, text in {
        "Criterion": "Validation errors list every field",
        "Metric": "fields reported per 422",
        "Target": "5 of 5",
        "Measured": "5 of 5",
    }.items():
        fill(page, f"{label} (criterion 1)", text)
    fill(page, "Next actions", "Add the If-Match concurrency test.")
    wait_for_autosave(page)

    # 5. Evidence: a real PNG, made by the test, tagged with the required item it satisfies.
    upload = page.get_by_role("region", name="5. Evidence in the draft")
    upload.get_by_label(re.compile(r"^File\b")).set_input_files(
        files=[{"name": "error-catalogue.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    upload.get_by_role("textbox", name="What it proves").first.fill("Every problem type with its status code")
    upload.get_by_role("combobox", name="Required evidence it satisfies").first.select_option(label=evidence_item)
    upload.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_text("Uploaded error-catalogue.png.")).to_be_visible()
    evidence = page.get_by_role("region", name="5. Evidence in the draft")
    expect(evidence.get_by_role("link", name="error-catalogue.png")).to_be_visible()
    expect(evidence).to_contain_text("25 %")
    # The draft typed before the upload is still there.
    expect(page.get_by_role("textbox", name="Decision", exact=True)).to_have_value(decision["Decision"])
    audit(page, "workspace-with-evidence")

    # 6. Defect and risk log.
    risks = page.get_by_role("region", name="6. Defect and risk log")
    risks.get_by_role("combobox", name="Kind").select_option(label="Risk")
    risks.get_by_role("textbox", name="Title").fill("Old clients rely on 400 for every validation error")
    risks.get_by_role("combobox", name="Severity").select_option(label="High")
    risks.get_by_role("button", name="Add entry").click()
    expect(page.get_by_text("Entry added to your defect and risk log.")).to_be_visible()
    audit(page, "workspace-filled", docs_screenshot="workspace")

    # Before submitting, an optional self-assessment against the rubric (it goes with the revision).
    page.get_by_role("link", name="Self-assess against the rubric (optional)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Self-assessment: Week {WEEK}: {week.title}")
    criteria = rubric_criteria(weekly_rubric)
    chosen = [("Exemplary", 4)] + [("Proficient", 3)] * (len(criteria) - 1)
    for criterion, (label, points) in zip(criteria, chosen, strict=True):
        group = page.get_by_role("group", name=re.compile(rf"^{re.escape(criterion.title)}\b"))
        group.get_by_role("radio", name=re.compile(rf"^{label} · {points}")).check()
    page.get_by_role("textbox", name=f"Comment on {criteria[0].title}").fill("The 400/422 rule is argued with RFCs.")
    page.get_by_role("textbox", name="Overall note").fill(SELF_NOTE)
    page.get_by_role("button", name="Save self-assessment").click()
    # sum(weight × points) / sum(weight × top points) × 100, from the levels just chosen.
    self_score = weighted_score((c.weight, p, 4) for c, (_, p) in zip(criteria, chosen, strict=True))
    expect(page.get_by_text(f"Self-assessment saved: {self_score} / 100.")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile(r"^Exemplary · 4")).first).to_be_checked()
    audit(page, "self-assessment-before-submitting")
    page.get_by_role("link", name="Back to the workspace").click()
    expect(page.get_by_role("textbox", name="Decision", exact=True)).to_have_value(decision["Decision"])

    page.get_by_role("button", name="Save and submit revision 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Revision 1: Week {WEEK}: {week.title}")
    expect(page.get_by_text("Submitted as revision 1.")).to_be_visible()
    expect(page.get_by_role("link", name="error-catalogue.png")).to_be_visible()
    audit(page, "revision-1")

    # The mentor asks for changes (journey 3 does this through the mentor's pages).
    work = WeeklyWork.objects.get(student=student, week=week)
    criteria = rubric_criteria(weekly_rubric)
    assessment_record(
        revision=work.latest_revision,
        scorer=mentor,
        kind=Assessment.Kind.MENTOR,
        scores={c.pk: (c.levels.get(points=2).pk, "") for c in criteria},
        feedback=MENTOR_FEEDBACK,
        decision=Assessment.Decision.REQUEST_CHANGES,
    )

    page.get_by_role("link", name="Feedback on this revision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Feedback on revision 1: Week {WEEK}: {week.title}")
    mentor_feedback = page.get_by_role("region", name="Mentor feedback")
    expect(mentor_feedback.get_by_role("article", name=mentor.name)).to_contain_text(MENTOR_FEEDBACK)
    expect(page.get_by_text("Changes requested").first).to_be_visible()
    own = page.get_by_role("region", name="Self-assessment").get_by_role("article", name="Your self-assessment")
    expect(own).to_contain_text(f"{self_score} / 100")
    expect(own).to_contain_text(SELF_NOTE)
    audit(page, "feedback-on-revision-1")

    # Revise: the workspace is editable again, with everything from revision 1.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=re.compile(rf"^Week {WEEK}")).click()
    expect(page.get_by_role("textbox", name="Decision", exact=True)).to_have_value(decision["Decision"])
    trade_offs = "Two codes are more precise for clients: 18 of 20 SDK calls branch on 422 in the replay test."
    fill(page, "Trade-offs", trade_offs)
    fill(page, "Lab report", "Schemathesis: 1,200 cases before and after, 0 server errors, 0 schema failures.")
    # 7. Retrospective and 8. revision note.
    fill(page, "Retain", "Writing the error catalogue before the code.")
    fill(page, "Improve", "Run Schemathesis on every push, not at the end of the week.")
    fill(page, "Scale", "Reuse the problem+json schema in every service of the platform.")
    fill(page, "Revision note", "Quantified the 400 vs 422 trade-off and added the Schemathesis run.")
    wait_for_autosave(page)
    audit(page, "workspace-revising")

    page.get_by_role("button", name="Save and submit revision 2").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Revision 2: Week {WEEK}: {week.title}")
    retrospective = page.get_by_role("region", name="7. Retrospective")
    expect(retrospective).to_contain_text("Writing the error catalogue before the code.")
    audit(page, "revision-2")

    page.get_by_role("link", name="Compare with revision 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare revision 1 with revision 2")
    changed = page.get_by_role("region", name="Decision record: Trade-offs")
    expect(changed.get_by_role("insertion").filter(has_text="replay test")).to_be_visible()
    expect(page.get_by_role("region", name="Retrospective: Retain")).to_contain_text("error catalogue before the code")
    expect(page.get_by_text("Decision record: Decision — unchanged")).to_be_visible()
    audit(page, "diff-inline")

    page.get_by_role("combobox", name="View").select_option(label="Side by side")
    page.get_by_role("button", name="Compare").click()
    side = page.get_by_role("region", name="Decision record: Trade-offs").get_by_role("table")
    expect(side.get_by_role("columnheader")).to_have_text(["Revision 1", "Revision 2"])
    expect(side.get_by_role("insertion").filter(has_text="replay test").first).to_be_visible()
    audit(page, "diff-side-by-side")
