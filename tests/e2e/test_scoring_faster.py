"""Scoring, faster (issue 17): in a real browser, the running total equals the server's score
for every rubric a course uses, the keyboard picks levels and moves between criteria without
stealing keys from text fields, an unfinished scoring comes back after the tab is closed, two
tabs are told when one replaced the other's draft, and "Save and open the next in the queue"
walks the queue to its end. The page is looked at on a desktop and on a 390 px phone."""

import datetime
import itertools
import re
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Page, expect

from cohorts.models import Membership
from curriculum.models import CapstoneDeliverable
from rubrics.models import Assessment, AssessmentDraft, RubricAttachment
from rubrics.selectors import rubric_criteria, rubric_for_work
from rubrics.services import rubric_attach, rubric_create, rubric_install_defaults, weighted_score
from submissions import services as submissions
from submissions.content import normalised
from tests.factories import MembershipFactory, MentorAssignmentFactory

from .support import audit, cohort_in_week, log_in_as

WEEK = 3
# What a person sees (the window, not the full page: the rubric column is sticky).
VIEWPORT_SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e" / "scoring-faster-viewport"

# Weights and points chosen so that totals land on every kind of fraction (thirds, sevenths,
# exact halves at the third decimal), where floating point and half-up rounding part ways.
ODD_RUBRIC = [
    ("Latency budget", "", 3, [("Exemplary", 5, "a"), ("Proficient", 3, "b"), ("Beginning", 1, "c")]),
    ("Failure modes", "", 7, [("Exemplary", 4, "a"), ("Developing", 2, "b"), ("Missing", 0, "c")]),
    ("Cost", "", 2, [("Exemplary", 6, "a"), ("Adequate", 5, "b"), ("Weak", 1, "c")]),
    ("Write-up", "", 1, [("Clear", 3, "a"), ("Unclear", 1, "b")]),
]

# The labels of the levels picked for each combination, read back as the page shows the total.
TOTALS_SCRIPT = """(combinations) => {
  const fieldsets = Array.from(document.querySelectorAll('#scoring-form fieldset.rubric-criterion'));
  return combinations.map((combination) => {
    combination.forEach((index, position) => {
      fieldsets[position].querySelectorAll('input[type=radio][data-points]')[index].click();
    });
    return document.getElementById('running-total-value').textContent.trim();
  });
}"""


def submit_week(cohort, student, number, *, deliverable=None, submitted_at=None):
    week = None if deliverable else cohort.course.weeks.get(number=number)
    work = submissions.work_get_or_create(student=student, cohort=cohort, week=week, deliverable=deliverable)
    content = normalised({})
    content["concept"] = {"text": f"The request path of week {number}: the ORM dominates.", "objective_ids": []}
    # A long lab report, so that the revision scrolls well past one screen beside the rubric.
    content["lab"] = {
        "text": "\n\n".join(f"Run {i}: p95 {40 + i % 7} ms at {200 + 10 * i} req/s, no errors." for i in range(60)),
        "gates": {},
    }
    content["decision"] = {"decision": "Add a covering index.", "rationale": "Cheapest fix that meets the SLO."}
    content["deliverable"] = {"text": "The capstone deliverable, as written."}
    submissions.work_save_draft(work=work, content=content, expected_version=work.draft_version, by=student)
    return submissions.work_submit(work=work, by=student, now=submitted_at)


def expected_totals(rubric, combinations) -> list[str]:
    criteria = rubric_criteria(rubric)
    totals = []
    for combination in combinations:
        pairs = []
        for criterion, index in zip(criteria, combination, strict=True):
            levels = list(criterion.levels.all())
            pairs.append((criterion.weight, levels[index].points, max(lv.points for lv in levels)))
        totals.append(f"{weighted_score(pairs)} / 100")
    return totals


def test_the_running_total_equals_the_servers_score_for_every_rubric_in_use(page: Page, course, live_server):
    weekly, capstone = rubric_install_defaults(course=course)
    odd = rubric_create(family="odd-weights", title="Odd weights", criteria=ODD_RUBRIC)
    rubric_attach(rubric=odd, course=course, scope=RubricAttachment.Scope.WEEK, week=course.weeks.get(number=4))
    cohort = cohort_in_week(course, WEEK)
    instructor = MembershipFactory(cohort=cohort, role=Membership.Role.INSTRUCTOR).user
    student = MembershipFactory(cohort=cohort, role=Membership.Role.STUDENT).user
    deliverable = CapstoneDeliverable.objects.filter(project__course=course).order_by("pk").first()
    revisions = {
        "weekly": submit_week(cohort, student, WEEK),
        "odd": submit_week(cohort, student, 4),
        "capstone": submit_week(cohort, student, 0, deliverable=deliverable),
    }
    expected_rubrics = {"weekly": weekly, "odd": odd, "capstone": capstone}
    log_in_as(page.context, live_server.url, instructor)

    for name, revision in revisions.items():
        rubric = rubric_for_work(revision.work)
        assert rubric == expected_rubrics[name]
        level_counts = [len(c.levels.all()) for c in rubric_criteria(rubric)]
        combinations = [list(c) for c in itertools.product(*(range(n) for n in level_counts))]
        page.goto(f"/review/revisions/{revision.pk}/")
        expect(page.locator("#running-total-value")).to_have_text(re.compile(r"0 of \d+ chosen"))
        shown = page.evaluate(TOTALS_SCRIPT, combinations)
        assert shown == expected_totals(rubric, combinations), name
        assert len(set(shown)) > 10  # the combinations really moved the total

    # The figure the page showed last is the one the server saves.
    last = combinations[-1]
    page.get_by_label("Accept this revision").check()
    page.get_by_role("button", name="Save score and decision").click()
    expect(page.get_by_text(re.compile(r"Scored .* / 100 and accepted"))).to_be_visible()
    saved = Assessment.objects.get(revision=revisions["capstone"], kind=Assessment.Kind.MENTOR)
    assert f"{saved.score} / 100" == expected_totals(capstone, [last])[0]


def test_a_mentor_scores_with_the_keyboard_keeps_a_draft_and_works_through_the_queue(page: Page, course, live_server):
    rubric_install_defaults(course=course)
    cohort = cohort_in_week(course, WEEK)
    mentor = MembershipFactory(cohort=cohort, role=Membership.Role.MENTOR).user
    first_student, second_student = (
        MembershipFactory(cohort=cohort, role=Membership.Role.STUDENT).user for _ in range(2)
    )
    for student in (first_student, second_student):
        MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=student)
    now = timezone.now()
    first = submit_week(cohort, first_student, WEEK, submitted_at=now - datetime.timedelta(hours=5))
    second = submit_week(cohort, second_student, WEEK, submitted_at=now - datetime.timedelta(hours=2))
    log_in_as(page.context, live_server.url, mentor)
    VIEWPORT_SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"/review/revisions/{first.pk}/")
    rubric = page.get_by_role("region", name="Score with")
    expect(rubric.get_by_text("choose that criterion's first, second, third… level")).to_be_visible()
    criteria = rubric.locator("fieldset.rubric-criterion")
    expect(criteria).to_have_count(5)
    first_criterion = criteria.nth(0)

    # The keyboard: focus the first criterion's levels, 3 picks its third level, J moves on.
    first_criterion.get_by_role("radio").first.focus()
    page.keyboard.press("3")
    expect(first_criterion.get_by_role("radio").nth(2)).to_be_checked()
    expect(first_criterion.get_by_role("radio").nth(2)).to_be_focused()
    page.keyboard.press("j")
    expect(criteria.nth(1).get_by_role("radio").first).to_be_focused()
    page.keyboard.press("2")
    expect(criteria.nth(1).get_by_role("radio").nth(1)).to_be_checked()
    page.keyboard.press("k")
    expect(first_criterion.get_by_role("radio").nth(2)).to_be_focused()  # back to the checked level
    # Typing in a comment is typing: digits and J stay in the text.
    comment = first_criterion.get_by_role("textbox")
    comment.fill("")
    comment.press_sequentially("p95 4j")
    expect(comment).to_have_value("p95 4j")
    expect(first_criterion.get_by_role("radio").nth(2)).to_be_checked()
    expect(page.locator("#running-total-value")).to_have_text("choose a level for every criterion (2 of 5 chosen)")
    page.get_by_role("textbox", name="Overall feedback").fill("Draft in progress: the decision record needs numbers.")
    expect(page.locator("#draft-status")).to_have_text(re.compile(r"Draft saved at \d\d:\d\d:\d\d\."))
    audit(page, "scoring-desktop-draft")

    # The rubric stays in view while the revision scrolls (far: the lab report is long).
    assert page.evaluate("() => document.documentElement.scrollHeight > 3 * window.innerHeight")
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight / 2)")
    expect(page.get_by_role("heading", name="2. Lab report")).not_to_be_in_viewport()
    side = page.get_by_role("complementary", name="Rubric and feedback")
    expect(side).to_be_in_viewport()
    box = side.bounding_box()
    assert 0 <= box["y"] <= 20 and box["y"] + box["height"] <= 900  # pinned 1rem below the top, its own scroll
    expect(page.get_by_role("textbox", name="Overall feedback")).to_be_in_viewport()  # where the mentor is working
    expect(page.locator("#running-total")).to_be_in_viewport()  # the total stays at the rubric's foot
    page.screenshot(path=str(VIEWPORT_SHOTS / "scoring-desktop-scrolled.png"))
    page.evaluate("() => window.scrollTo(0, 0)")

    # Closing the tab loses nothing: a new tab shows the scoring as it was left.
    context = page.context
    page.close()
    page = context.new_page()
    page.goto(f"/review/revisions/{first.pk}/")
    criteria = page.locator("#scoring-form fieldset.rubric-criterion")
    expect(criteria.nth(0).get_by_role("radio").nth(2)).to_be_checked()
    expect(criteria.nth(1).get_by_role("radio").nth(1)).to_be_checked()
    expect(criteria.nth(0).get_by_role("textbox")).to_have_value("p95 4j")
    expect(page.get_by_role("textbox", name="Overall feedback")).to_have_value(
        "Draft in progress: the decision record needs numbers."
    )
    expect(page.locator("#draft-status")).to_contain_text("is back, as you left it")

    # A second tab on the same revision: the later save wins, and that tab is told.
    other = context.new_page()
    other.goto(f"/review/revisions/{first.pk}/")
    other_criteria = other.locator("#scoring-form fieldset.rubric-criterion")
    page.locator("#scoring-form fieldset.rubric-criterion").nth(2).get_by_role("radio").nth(0).check()
    expect(page.locator("#draft-status")).to_have_text(re.compile(r"Draft saved at"))
    other_criteria.nth(3).get_by_role("radio").nth(0).check()
    expect(other.locator("#draft-status")).to_contain_text("also saved from another tab or window")
    other.set_viewport_size({"width": 390, "height": 844})
    audit(other, "scoring-phone-conflict")
    other.screenshot(path=str(VIEWPORT_SHOTS / "scoring-phone-top.png"))
    assert other.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    jump = other.get_by_role("link", name="Jump to the rubric")
    jump.click()
    expect(other.get_by_role("region", name="Score with").get_by_role("heading", level=2)).to_be_in_viewport()
    other.screenshot(path=str(VIEWPORT_SHOTS / "scoring-phone-rubric.png"))
    other.close()
    draft = AssessmentDraft.objects.get(revision=first, scorer=mentor)
    third_id, fourth_id = (str(c.pk) for c in rubric_criteria(draft.rubric)[2:4])
    assert draft.levels[third_id]["level"] is None and draft.levels[fourth_id]["level"] is not None

    # Finish with the keyboard, accept, and open the next in the queue.
    page.reload()
    criteria = page.locator("#scoring-form fieldset.rubric-criterion")
    criteria.nth(0).get_by_role("radio").nth(2).focus()
    for key in ["j", "j", "1", "j", "2", "j", "4"]:
        page.keyboard.press(key)
    expect(page.locator("#running-total-value")).to_have_text(re.compile(r"^\d+\.\d\d / 100$"))
    shown_total = page.locator("#running-total-value").text_content()
    page.get_by_label("Accept this revision").check()
    page.get_by_role("button", name="Save and open the next in the queue").click()
    expect(page).to_have_url(re.compile(rf"/review/revisions/{second.pk}/$"))
    expect(page.get_by_text(re.compile(r"Scored .* / 100 and accepted"))).to_be_visible()
    assessment = Assessment.objects.get(revision=first, kind=Assessment.Kind.MENTOR)
    assert f"{assessment.score} / 100" == shown_total
    assert not AssessmentDraft.objects.filter(revision=first).exists()
    expect(page.locator("#draft-status")).to_contain_text("saved as a draft as you work")
    audit(page, "scoring-next-in-queue")

    criteria = page.locator("#scoring-form fieldset.rubric-criterion")
    for index in range(5):
        criteria.nth(index).get_by_role("radio").nth(1).check()
    page.get_by_label("Request changes: the student revises and resubmits").check()
    page.get_by_role("textbox", name="Overall feedback").fill("Measure the p95 before and after the index.")
    page.get_by_role("button", name="Save and open the next in the queue").click()
    expect(page).to_have_url(re.compile(r"/review/$"))
    expect(page.get_by_text("That was the last one: your review queue is empty.")).to_be_visible()
    audit(page, "review-queue-empty")
