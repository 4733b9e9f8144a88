"""Last week's retrospective "improve" items in this week's workspace: shown without writing
anything, a status (done, carried forward, dropped) and a note set by the student only,
carried items shown again the week after."""

import pytest
from django.urls import reverse

from submissions import services
from submissions.models import ImproveItemStatus, improve_items_of
from submissions.selectors import improve_item_tally, improve_items_for_work

pytestmark = pytest.mark.django_db

IMPROVE = """- Start load tests on **Tuesday**
- Write the decision record before coding,
  not after
- <script>alert(1)</script> escape me
"""


def _work(people, number, student=None):
    week = people.cohort.course.weeks.get(number=number)
    return services.work_get_or_create(student=student or people.student, cohort=people.cohort, week=week)


def _retro(people, number, improve=IMPROVE, student=None):
    week = people.cohort.course.weeks.get(number=number)
    return services.retrospective_save(
        student=student or people.student, cohort=people.cohort, week=week, retain="r", improve=improve, scale="s"
    )


def _post(client, work, key, status="done", note=""):
    prefix = f"improve-{key}"
    return client.post(
        reverse("submissions:improve_item_status", args=[work.pk, key]),
        {f"{prefix}-status": status, f"{prefix}-note": note},
    )


def test_items_are_list_entries_or_paragraphs_without_repeats_and_bounded():
    assert [text for _, text in improve_items_of(IMPROVE)] == [
        "Start load tests on **Tuesday**",
        "Write the decision record before coding, not after",
        "<script>alert(1)</script> escape me",
    ]
    assert [text for _, text in improve_items_of("Plan on Monday.\n\nAsk for review  earlier.\n")] == [
        "Plan on Monday.",
        "Ask for review  earlier.",
    ]
    assert len(improve_items_of("- same\n- Same \n1. SAME")) == 1
    assert improve_items_of("") == [] and improve_items_of("   \n\n") == []
    many = improve_items_of("\n".join(f"- item {n}" for n in range(500)))
    assert len(many) == 20
    assert len(improve_items_of("- " + "x" * 5000)[0][1]) == 500


def test_the_workspace_shows_last_weeks_items_and_a_get_writes_nothing(people, client_for):
    _retro(people, 2)
    work = _work(people, 3)
    body = client_for(people.student).get(reverse("submissions:work", args=[work.pk])).content.decode()
    assert 'id="improve"' in body
    assert "<strong>Tuesday</strong>" in body
    assert "<script>alert(1)</script>" not in body
    assert body.count('class="improve-item"') == 3
    assert "Not set yet" in body
    assert ImproveItemStatus.objects.count() == 0


def test_week_one_and_a_week_without_last_retrospective_show_no_items(people, client_for):
    client = client_for(people.student)
    for work in (_work(people, 1), _work(people, 5)):
        assert 'id="improve"' not in client.get(reverse("submissions:work", args=[work.pk])).content.decode()


def test_the_student_sets_a_status_and_a_note(people, client_for):
    _retro(people, 2)
    work = _work(people, 3)
    key = improve_items_for_work(work)[0].key
    client = client_for(people.student)
    response = _post(client, work, key, "done", "Ran them Tuesday 10:00.")
    assert response.status_code == 302 and response["Location"].endswith("#improve")
    row = ImproveItemStatus.objects.get()
    assert (row.status, row.note, row.week.number, row.origin_week.number) == ("done", "Ran them Tuesday 10:00.", 3, 2)
    # set again: the row is replaced, not duplicated
    _post(client, work, key, "dropped", "")
    row.refresh_from_db()
    assert ImproveItemStatus.objects.count() == 1 and row.status == "dropped" and row.note == ""
    body = client.get(reverse("submissions:work", args=[work.pk])).content.decode()
    assert "Dropped" in body


def test_a_carried_item_shows_again_the_week_after_and_others_do_not(people, client_for):
    _retro(people, 2)
    week3 = _work(people, 3)
    first, second, third = improve_items_for_work(week3)
    client = client_for(people.student)
    _post(client, week3, first.key, "carried", "Not enough time.")
    _post(client, week3, second.key, "done")
    _retro(people, 3, improve="- Pair on the review")
    week4 = _work(people, 4)
    shown = improve_items_for_work(week4)
    assert [(i.text, i.origin_week, i.status) for i in shown] == [
        (first.text, 2, ""),
        ("Pair on the review", 3, ""),
    ]
    body = client.get(reverse("submissions:work", args=[week4.pk])).content.decode()
    assert "Carried forward from week 2" in body
    # carried again in week 4: shown in week 5, still from week 2
    _post(client, week4, first.key, "carried")
    assert [(i.text, i.origin_week) for i in improve_items_for_work(_work(people, 5))] == [(first.text, 2)]


def test_the_tally_counts_each_status_and_the_items_not_set(people):
    _retro(people, 2)
    week3 = _work(people, 3)
    first, second, _third = improve_items_for_work(week3)
    services.improve_item_set_status(work=week3, key=first.key, status="carried", by=people.student)
    services.improve_item_set_status(work=week3, key=second.key, status="done", by=people.student)
    _retro(people, 3, improve="")
    week4 = _work(people, 4)
    services.improve_item_set_status(work=week4, key=first.key, status="dropped", by=people.student)
    tally = improve_item_tally(people.cohort, [people.student.pk, people.other_student.pk], through_week=5)
    assert tally[people.student.pk] == {"done": 1, "carried": 1, "dropped": 1, "unset": 1}
    assert tally[people.other_student.pk] == {"done": 0, "carried": 0, "dropped": 0, "unset": 0}
    # weeks not begun yet do not count: through week 3, item 1 carried, item 2 done, item 3 not set
    assert improve_item_tally(people.cohort, [people.student.pk], through_week=3)[people.student.pk] == {
        "done": 1,
        "carried": 1,
        "dropped": 0,
        "unset": 1,
    }


@pytest.mark.parametrize(
    "role", ["other_student", "mentor", "unassigned_mentor", "instructor", "foreign_mentor", "foreign_student", "admin"]
)
def test_only_the_student_sets_a_status(people, client_for, role):
    _retro(people, 2)
    work = _work(people, 3)
    key = improve_items_for_work(work)[0].key
    assert _post(client_for(getattr(people, role)), work, key).status_code == 404
    assert ImproveItemStatus.objects.count() == 0


def test_anonymous_is_sent_to_sign_in(people, client_for):
    _retro(people, 2)
    work = _work(people, 3)
    key = improve_items_for_work(work)[0].key
    response = _post(client_for(None), work, key)
    assert response.status_code == 302 and "/accounts/" in response["Location"]
    assert ImproveItemStatus.objects.count() == 0


@pytest.mark.parametrize("role", ["mentor", "instructor", "admin"])
def test_reviewers_see_the_items_and_statuses_without_forms(people, client_for, role):
    _retro(people, 2)
    work = _work(people, 3)
    item = improve_items_for_work(work)[0]
    services.improve_item_set_status(work=work, key=item.key, status="done", note="Done Tuesday", by=people.student)
    body = client_for(getattr(people, role)).get(reverse("submissions:work", args=[work.pk])).content.decode()
    assert "Done Tuesday" in body and 'class="improve-form"' not in body


def test_bad_input_is_a_form_error_and_an_unknown_item_a_404(people, client_for):
    _retro(people, 2)
    work = _work(people, 3)
    key = improve_items_for_work(work)[0].key
    client = client_for(people.student)
    response = _post(client, work, key, "finished")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = _post(client, work, key, "done", "x" * 501)
    assert response.status_code == 400 and "at most 500" in response.content.decode()
    assert _post(client, work, "0123456789abcdef").status_code == 404
    assert client.post(f"/work/{work.pk}/improve-items/%3Cscript%3E/", {}).status_code == 404
    assert ImproveItemStatus.objects.count() == 0


def test_a_handed_in_week_keeps_its_statuses(people, client_for):
    _retro(people, 2)
    work = _work(people, 3)
    key = improve_items_for_work(work)[0].key
    services.work_submit(work=work, by=people.student)
    response = _post(client_for(people.student), work, key)
    assert response.status_code == 302
    assert ImproveItemStatus.objects.count() == 0
    with pytest.raises(services.ValidationError):
        services.improve_item_set_status(work=work, key=key, status="done", by=people.student)
