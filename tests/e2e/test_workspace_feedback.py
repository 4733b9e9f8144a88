"""Feedback beside the work, in a real browser: a student whose week got "changes requested"
opens the workspace and finds what was asked at the top (decision, overall feedback, each
criterion's level and comment), then says what became of last week's improve items with the
plain form (no script needed). At 390 px the page does not scroll sideways. The pictures go
to docs/screenshots/ for docs/workspace.md."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cohorts.models import Membership
from rubrics.models import Assessment
from rubrics.selectors import rubric_criteria
from rubrics.services import assessment_record, rubric_install_defaults
from submissions import services
from submissions.models import ImproveItemStatus
from tests.factories import CohortFactory, MembershipFactory, MentorAssignmentFactory, UserFactory

from .support import audit, log_in_as, save_docs_screenshot

pytestmark = pytest.mark.e2e

WEEK = 4
PHONE = {"width": 390, "height": 844}
COMMENTS = [
    "The concept analysis names Little's law but never applies it to the measured queue.",
    "Quality gate 2 is marked passed without the p95 that proves it.",
    "The decision record compares two options; add the read replica you rejected in week 3.",
    "",
    "Next actions need an owner and a date each.",
]


@pytest.fixture
def changes_requested(page: Page, course, live_server):
    zone = "Europe/Berlin"
    today = timezone.now().astimezone(ZoneInfo(zone)).date()
    cohort = CohortFactory(course=course, time_zone=zone, start_date=today - datetime.timedelta(days=7 * (WEEK - 1)))
    student = UserFactory(name="Amara Okafor")
    mentor = UserFactory(name="Lena Fischer")
    MembershipFactory(cohort=cohort, user=student, role=Membership.Role.STUDENT)
    MembershipFactory(cohort=cohort, user=mentor, role=Membership.Role.MENTOR)
    MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=student)
    rubric = rubric_install_defaults(course=course)[0]
    services.retrospective_save(
        student=student,
        cohort=cohort,
        week=course.weeks.get(number=WEEK - 1),
        retain="Measuring before changing anything.",
        improve="- Start the load tests on Tuesday, not Thursday\n- Write the decision record before coding\n"
        "- Ask a peer to read the dossier a day early",
        scale="A latency budget per endpoint.",
    )
    work = services.work_get_or_create(student=student, cohort=cohort, week=course.weeks.get(number=WEEK))
    services.work_save_draft(
        work=work,
        content={
            "concept": {"text": "## Queueing\n\nLatency grows with utilisation.", "objective_ids": []},
            "decision": {"decision": "Add a covering index.", "rationale": "Cheapest fix."},
        },
        expected_version=work.draft_version,
        by=student,
    )
    revision = services.work_submit(work=work, by=student)
    criteria = rubric_criteria(rubric)
    scores = {
        c.pk: (sorted(c.levels.all(), key=lambda lv: lv.points)[1 + i % 2].pk, COMMENTS[i % len(COMMENTS)])
        for i, c in enumerate(criteria)
    }
    assessment_record(
        revision=revision,
        scorer=mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores,
        feedback="Good measurements. Before this is publishable, **show the numbers** behind each claim.",
        decision=Assessment.Decision.REQUEST_CHANGES,
    )
    log_in_as(page.context, live_server.url, student)
    return work


def test_the_student_sees_what_was_asked_and_sets_the_improve_items(page: Page, changes_requested):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/work/{changes_requested.pk}/")
    asked = page.get_by_role("region", name="What was asked on revision 1")
    expect(asked).to_be_visible()
    expect(asked).to_contain_text("Changes requested")
    expect(asked).to_contain_text("show the numbers")
    expect(asked).to_contain_text(COMMENTS[1])
    expect(asked.get_by_role("link", name="All feedback on revision 1")).to_be_visible()
    # At the top: before the first section of the work.
    assert asked.evaluate(
        "el => !!(el.compareDocumentPosition(document.querySelector('[data-section]')) & Node.DOCUMENT_POSITION_FOLLOWING)"
    )
    audit(page, "workspace-changes-requested", docs_screenshot="workspace-changes-requested")

    improve = page.get_by_role("region", name="Improve items from last week")
    expect(improve.locator(".improve-item")).to_have_count(3)
    first = improve.get_by_role("group", name="What became of item 1?")
    first.get_by_label("Carried forward").check()
    improve.get_by_label("Note on item 1 (optional)").fill("Started; finishing next week.")
    improve.get_by_role("button", name="Save the status of item 1").click()
    expect(page.get_by_text("Improve item marked “carried forward”.")).to_be_visible()
    row = ImproveItemStatus.objects.get()
    assert (row.status, row.note) == ("carried", "Started; finishing next week.")
    expect(
        page.get_by_role("region", name="Improve items from last week").get_by_role(
            "group", name="What became of item 1?"
        )
    ).to_be_visible()
    expect(page.get_by_role("region", name="Improve items from last week").locator(".badge").first).to_have_text(
        "Carried forward"
    )

    page.set_viewport_size(PHONE)
    page.goto(f"/work/{changes_requested.pk}/")
    expect(page.get_by_role("region", name="What was asked on revision 1")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    audit(page, "workspace-changes-requested-phone")
    save_docs_screenshot(page, "phone-workspace-changes-requested")
