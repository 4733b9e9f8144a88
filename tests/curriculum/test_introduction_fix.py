"""The course admin offers the lint's fix for the introduction's repeated sentence; the fix is
an edit in the history that the next import keeps."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from curriculum.lint import lint_course, without_repeated_sentences
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REPEATED = (
    "You will graduate with a professionally curated portfolio that demonstrates scope, depth, and delivery quality."
)


def test_the_bundled_introduction_repeats_one_sentence_four_times(course):
    assert course.introduction.count(REPEATED) == 4
    assert any(f.check == "repeated-sentence" and "appears 4 times" in f.message for f in lint_course(course))


def test_the_fix_keeps_each_sentence_once_and_leaves_other_paragraphs_alone():
    text = "First paragraph,\nas written.\n\nA. B. A. C. B.\n\nThen A. And D."
    assert without_repeated_sentences(text) == "First paragraph,\nas written.\n\nA. B. C.\n\nThen A. And D."
    assert without_repeated_sentences("No repeats. At all.") == "No repeats. At all."


def test_an_admin_applies_the_fix_from_the_course_page_and_the_next_import_keeps_it(course, people, client_for, capsys):
    client = client_for(people.admin)
    page = client.get(reverse("admin:curriculum_course_change", args=[course.pk])).content.decode()
    assert "Suggested fix: repeated sentences in the introduction" in page
    url = reverse("admin:curriculum_course_remove_repeated_sentences", args=[course.pk])
    assert f'action="{url}"' in page
    before = course.introduction

    response = client.post(url, follow=True)
    assert "Removed the repeated sentences from the introduction" in response.content.decode()
    course.refresh_from_db()
    assert course.introduction.count(REPEATED) == 1
    assert course.introduction == without_repeated_sentences(before)
    record = course.history.first()
    assert record.history_user == people.admin
    assert record.history_change_reason.startswith("Removed repeated sentences")
    assert record.prev_record.introduction == before  # before and after, both in the history
    assert not [f for f in lint_course(course) if f.check == "repeated-sentence"]
    assert (
        "Suggested fix" not in client.get(reverse("admin:curriculum_course_change", args=[course.pk])).content.decode()
    )

    call_command("import_curriculum")
    out = capsys.readouterr().out
    assert "Unchanged:" in out and "kept 1 admin edit" in out
    assert f"Course “{course.slug}” v1 (introduction)" in out
    course.refresh_from_db()
    assert course.introduction.count(REPEATED) == 1

    history = client.get(reverse("admin:curriculum_history")).content.decode()
    assert "Removed repeated sentences from the introduction" in history and people.admin.email in history


def test_the_fix_needs_a_post_and_the_right_to_change_the_course(course, people, client_for):
    url = reverse("admin:curriculum_course_remove_repeated_sentences", args=[course.pk])
    assert client_for(people.admin).get(url).status_code == 405
    assert client_for(people.instructor).post(url).status_code == 302  # not staff: to the sign-in
    assert client_for(UserFactory(is_staff=True)).post(url).status_code == 403
    course.refresh_from_db()
    assert course.introduction.count(REPEATED) == 4
