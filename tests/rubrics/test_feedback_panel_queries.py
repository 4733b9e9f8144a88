"""The workspace with its feedback panels (what was asked, improve items) and the scoring page
with the improve items keep a fixed number of queries, however many criteria, items, statuses,
revisions and assessments there are."""

import pytest
from django.urls import reverse

from rubrics.models import Assessment
from rubrics.services import assessment_record
from submissions import services as submission_services
from submissions.models import ImproveItemStatus
from submissions.selectors import improve_items_for_work

from .conftest import scores_for, submit

pytestmark = pytest.mark.django_db


def _week(people, number):
    return people.cohort.course.weeks.get(number=number)


def _retro(people, number, items: int):
    submission_services.retrospective_save(
        student=people.student,
        cohort=people.cohort,
        week=_week(people, number),
        retain="Kept",
        improve="\n".join(f"- Improve {number}.{n}: **measure** first" for n in range(items)),
        scale="Scaled",
    )


def _carry_all(people, number):
    """Carry every item shown in week `number` forward (as the student would, one by one)."""
    work = submission_services.work_get_or_create(
        student=people.student, cohort=people.cohort, week=_week(people, number)
    )
    for item in improve_items_for_work(work):
        submission_services.improve_item_set_status(
            work=work, key=item.key, status="carried", note="Next week", by=people.student
        )


def _loaded_week(people, rubric, items: int, rounds: int):
    """Week 10 in "changes requested" after `rounds` requests, with week 8's items carried
    through week 9, week 9's own `items`, and a status set on half of what week 10 shows."""
    _retro(people, 8, items)
    _carry_all(people, 9)
    _retro(people, 9, items)
    for _ in range(rounds):
        revision = submit(people.student, people.cohort, 10)
        assessment_record(
            revision=revision,
            scorer=people.mentor,
            kind=Assessment.Kind.MENTOR,
            scores=scores_for(rubric, [3, 2, 3, 1, 4], comment="Add the p95 before and after."),
            feedback="Measure first.",
            decision=Assessment.Decision.REQUEST_CHANGES,
        )
    work = revision.work
    work.refresh_from_db()
    shown = improve_items_for_work(work)
    for item in shown[::2]:
        submission_services.improve_item_set_status(work=work, key=item.key, status="done", by=people.student)
    return work, len(shown)


@pytest.mark.parametrize(("items", "rounds"), [(2, 1), (20, 5)])
def test_the_workspace_with_its_feedback_panels_has_a_fixed_budget(
    people, rubric, client_for, django_assert_num_queries, items, rounds
):
    work, shown = _loaded_week(people, rubric, items, rounds)
    assert shown == 2 * items
    client = client_for(people.student)
    # 1 session, 2 user, 3 work (+cohort, course, week, lab, latest revision); workspace_for:
    # 4 objectives, 5 quality gates, 6 artifacts, 7 revisions, 8 risk entries,
    # 9 retrospective, 10 extension, 11 week 9's retrospective (its improve items),
    # 12 improve item statuses of weeks 9-10; the workspace panels: 13 comment threads anchored
    # in the latest revision (feedback's panel), the "what was asked" panel: 14 the mentor's
    # changes-requested assessment with its scorer, 15 its scores with criterion and level;
    # 16 navigation roles.
    with django_assert_num_queries(16):
        response = client.get(reverse("submissions:work", args=[work.pk]))
    body = response.content.decode()
    assert body.count('class="improve-item"') == shown
    assert body.count('class="improve-form"') == shown
    assert 'data-panel="what-was-asked"' in body
    assert body.count("Add the p95 before and after.") == 5
    assert ImproveItemStatus.objects.filter(week__number=10).count() == (shown + 1) // 2


@pytest.mark.parametrize(("items", "rounds"), [(2, 1), (20, 5)])
def test_the_scoring_page_with_the_improve_items_has_a_fixed_budget(
    people, rubric, client_for, django_assert_num_queries, items, rounds
):
    work, shown = _loaded_week(people, rubric, items, rounds)
    revision = submit(people.student, people.cohort, 10)
    client = client_for(people.mentor)
    # 1 session, 2 user, 3 revision with its work (one join), mentor policy: 4 role,
    # 5 assignment; 6 rubric attachment, 7 criteria, 8 levels, 9 previous revision,
    # 10 assessments of both revisions, 11 their scores, 12 the week's outcome objectives,
    # 13 their criterion links, 14 the cohort's mastery rule (no peer review here, so no peer
    # identity policy), 15 the mentor's draft assessment; the panels: 16 comment threads of the
    # revision (feedback's panel), the improve items: 17 week 9's retrospective, 18 the statuses
    # of weeks 9-10; 19 navigation roles.
    with django_assert_num_queries(19):
        response = client.get(reverse("rubrics:score", args=[revision.pk]))
    body = response.content.decode()
    assert 'data-panel="improve-items"' in body
    assert body.count('class="improve-item"') == shown
