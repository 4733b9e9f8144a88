"""The mentor's draft assessment (an unfinished scoring that survives a closed tab), the running
total the server renders, and "Save and open the next in the queue"."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from core.privacy import Erasure
from rubrics.models import Assessment, AssessmentDraft
from rubrics.privacy import PROVIDER
from rubrics.selectors import rubric_criteria
from rubrics.services import assessment_draft_save, assessment_record, rubric_new_version
from submissions.models import WeeklyWork

from .conftest import post_data, scores_for, submit

pytestmark = pytest.mark.django_db

AUTOSAVE = {"HTTP_X_AUTOSAVE": "1", "HTTP_ACCEPT": "application/json"}


def partial_post(rubric, *, chosen: int = 2, points: int = 3, feedback: str = "So far: solid.", version=0) -> dict:
    """The scoring form as the script posts it while the mentor is still choosing: the first
    `chosen` criteria have a level, the rest none."""
    data = {"feedback": feedback, "draft_version": str(version), "decision": ""}
    for index, (criterion_id, (level_id, _)) in enumerate(scores_for(rubric, points).items()):
        data[f"criterion_{criterion_id}"] = str(level_id) if index < chosen else ""
        data[f"comment_{criterion_id}"] = f"Note {index}" if index < chosen else ""
    return data


def draft_url(revision) -> str:
    return reverse("rubrics:score_draft", args=[revision.pk])


def score_url(revision) -> str:
    return reverse("rubrics:score", args=[revision.pk])


def test_an_unfinished_scoring_is_saved_and_comes_back_when_the_page_opens_again(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    mentor = client_for(people.mentor)

    response = mentor.post(draft_url(revision), partial_post(rubric), **AUTOSAVE)

    assert response.status_code == 200
    reply = response.json()
    assert reply["ok"] is True and reply["draft_version"] == 1 and reply["conflict"] is None
    draft = AssessmentDraft.objects.get()
    assert (draft.revision, draft.scorer, draft.feedback, draft.version) == (
        revision,
        people.mentor,
        "So far: solid.",
        1,
    )
    criteria = rubric_criteria(rubric)
    assert [draft.levels[str(c.pk)]["comment"] for c in criteria] == ["Note 0", "Note 1", "", "", ""]

    page = mentor.get(score_url(revision)).content.decode()  # a new tab, the next day
    level_ids = scores_for(rubric, 3)
    for criterion in criteria[:2]:
        assert f'value="{level_ids[criterion.pk][0]}" checked data-points="3">' in page
    assert page.count(" checked data-points") == 2
    assert "So far: solid." in page and "Note 1" in page
    assert "is back, as you left it" in page
    assert "{#" not in page and "{%" not in page  # no template comment leaks onto the page
    assert 'name="draft_version" value="1"' in page
    assert "choose a level for every criterion (2 of 5 chosen)" in page
    assert not Assessment.objects.exists()  # a draft is not feedback
    work = WeeklyWork.objects.get(pk=revision.work_id)
    assert work.state == WeeklyWork.State.SUBMITTED


def test_the_save_draft_button_works_without_the_script(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    response = client_for(people.mentor).post(draft_url(revision), partial_post(rubric, chosen=5), follow=True)
    assert response.redirect_chain == [(score_url(revision), 302)]
    body = response.content.decode()
    assert "Draft saved at" in body
    assert "<strong>75.00</strong> / 100" in body  # every level 3 of 4: the server's total


def test_two_tabs_the_later_save_wins_and_says_it_replaced_the_other(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    first_tab, second_tab = client_for(people.mentor), client_for(people.mentor)
    # Both tabs opened the page before any draft existed (version 0).
    assert first_tab.post(draft_url(revision), partial_post(rubric, feedback="Tab one"), **AUTOSAVE).json()["ok"]
    reply = second_tab.post(draft_url(revision), partial_post(rubric, feedback="Tab two"), **AUTOSAVE).json()

    assert reply["ok"] is True and reply["draft_version"] == 2
    assert reply["conflict"].startswith("This draft was also saved from another tab or window")
    assert AssessmentDraft.objects.get().feedback == "Tab two"

    # The first tab goes on from version 1: its save wins now, and it is told so too.
    again = first_tab.post(draft_url(revision), partial_post(rubric, feedback="Tab one again", version=1), **AUTOSAVE)
    assert again.json()["conflict"] and AssessmentDraft.objects.get().feedback == "Tab one again"
    # Saving on from the version it was given is no conflict.
    on = first_tab.post(draft_url(revision), partial_post(rubric, feedback="Tab one, later", version=3), **AUTOSAVE)
    assert on.json()["conflict"] is None and AssessmentDraft.objects.get().version == 4


def test_submitting_the_assessment_discards_the_draft_and_a_refused_one_keeps_it(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    mentor = client_for(people.mentor)
    mentor.post(draft_url(revision), partial_post(rubric), **AUTOSAVE)

    refused = mentor.post(score_url(revision), post_data(rubric, 3, decision="request_changes", feedback=""))
    assert refused.status_code == 400
    assert AssessmentDraft.objects.count() == 1
    assert "<strong>75.00</strong> / 100" in refused.content.decode()  # the total of what was posted

    assert mentor.post(score_url(revision), post_data(rubric, 3, decision="accept")).status_code == 302
    assert not AssessmentDraft.objects.exists()

    late = mentor.post(draft_url(revision), partial_post(rubric), **AUTOSAVE)  # an autosave still on its way
    assert late.status_code == 409
    assert "no longer waiting for your review" in late.json()["error"]
    assert not AssessmentDraft.objects.exists()


def test_each_scorer_has_their_own_draft_and_never_sees_another_ones(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    client_for(people.instructor).post(
        draft_url(revision), partial_post(rubric, feedback="Instructor view"), **AUTOSAVE
    )
    client_for(people.mentor).post(draft_url(revision), partial_post(rubric, feedback="Mentor view"), **AUTOSAVE)

    assert AssessmentDraft.objects.count() == 2
    mentor_page = client_for(people.mentor).get(score_url(revision)).content.decode()
    assert "Mentor view" in mentor_page and "Instructor view" not in mentor_page
    admin_page = client_for(people.admin).get(score_url(revision)).content.decode()
    assert "Mentor view" not in admin_page and "Instructor view" not in admin_page
    author_feedback = client_for(people.student).get(reverse("rubrics:feedback", args=[revision.pk])).content.decode()
    assert "Mentor view" not in author_feedback and "Instructor view" not in author_feedback


@pytest.mark.parametrize(
    "role", ["unassigned_mentor", "foreign_mentor", "foreign_instructor", "student", "other_student", "stranger"]
)
def test_nobody_else_may_save_or_see_a_draft(people, rubric, client_for, role):
    revision = submit(people.student, people.cohort)
    assessment_draft_save(revision=revision, scorer=people.mentor, levels={}, feedback="Mentor private draft")
    client = client_for(getattr(people, role))

    assert client.post(draft_url(revision), partial_post(rubric), **AUTOSAVE).status_code == 404
    assert client.get(score_url(revision)).status_code == 404
    assert client.get(draft_url(revision)).status_code == 405
    assert AssessmentDraft.objects.get().scorer == people.mentor


def test_anonymous_draft_saves_are_sent_to_sign_in(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    response = client_for(None).post(draft_url(revision), partial_post(rubric), **AUTOSAVE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not AssessmentDraft.objects.exists()


def test_a_level_of_another_criterion_or_an_overlong_comment_is_refused_with_the_reason(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    criteria = rubric_criteria(rubric)
    data = partial_post(rubric)
    data[f"criterion_{criteria[0].pk}"] = str(criteria[1].levels.all()[0].pk)
    response = client_for(people.mentor).post(draft_url(revision), data, **AUTOSAVE)
    assert response.status_code == 400
    assert f"criterion_{criteria[0].pk}" in response.json()["fields"]

    data = partial_post(rubric)
    data[f"comment_{criteria[0].pk}"] = "x" * 4001
    response = client_for(people.mentor).post(draft_url(revision), data, **AUTOSAVE)
    assert response.status_code == 400 and f"comment_{criteria[0].pk}" in response.json()["fields"]

    response = client_for(people.mentor).post(draft_url(revision), {**partial_post(rubric), "decision": "maybe"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not AssessmentDraft.objects.exists()


def test_a_draft_made_with_an_older_rubric_version_keeps_its_words_not_its_levels(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    mentor = client_for(people.mentor)
    mentor.post(draft_url(revision), partial_post(rubric, feedback="Words survive"), **AUTOSAVE)
    rubric_new_version(rubric=rubric)

    page = mentor.get(score_url(revision)).content.decode()
    assert "Words survive" in page
    assert "earlier version of this rubric" in page
    assert " checked data-points" not in page


def test_the_draft_save_runs_a_fixed_number_of_queries(people, rubric, client_for, django_assert_num_queries):
    revision = submit(people.student, people.cohort)
    mentor = client_for(people.mentor)
    mentor.post(draft_url(revision), partial_post(rubric), **AUTOSAVE)
    posts = [partial_post(rubric, chosen=chosen, version=version) for version, chosen in ((1, 2), (2, 5))]
    for data in posts:
        # 23: session, user, revision with its work, mentor policy (role, assignment); for the
        # form: rubric attachment, criteria, levels, the week's objectives, their criterion links;
        # in the service: savepoint, the work locked (with cohort and student), mentor policy
        # (role, assignment), the scorer's assessment, rubric attachment, criteria, levels,
        # objectives, links, the draft, its update, release. The same with 2 levels chosen as with 5.
        with django_assert_num_queries(23):
            response = mentor.post(draft_url(revision), data, **AUTOSAVE)
        assert response.status_code == 200 and response.json()["conflict"] is None


def test_save_and_open_the_next_follows_the_queue_order_and_says_when_it_ends(people, rubric, client_for):
    now = timezone.now()
    oldest = submit(people.student, people.cohort, 1, now=now - datetime.timedelta(hours=30))
    middle = submit(people.other_student, people.cohort, 1, now=now - datetime.timedelta(hours=20))
    newest = submit(people.student, people.cohort, 2, now=now - datetime.timedelta(hours=10))
    mentor = client_for(people.mentor)

    response = mentor.post(score_url(middle), {**post_data(rubric, 4, decision="accept"), "then": "next"})
    assert response.status_code == 302 and response["Location"] == score_url(newest)

    # The last one in the order: back to the queue, saying that an earlier one still waits.
    response = mentor.post(score_url(newest), {**post_data(rubric, 4, decision="accept"), "then": "next"}, follow=True)
    assert response.redirect_chain == [(reverse("rubrics:queue"), 302)]
    assert "That was the last one in your review queue&#x27;s order; 1 earlier revision still waits." in (
        response.content.decode()
    )

    response = mentor.post(score_url(oldest), {**post_data(rubric, 3, decision="accept"), "then": "next"}, follow=True)
    assert "That was the last one: your review queue is empty." in response.content.decode()
    assert Assessment.objects.filter(kind=Assessment.Kind.MENTOR).count() == 3


def test_save_and_next_only_walks_the_scorers_own_queue(people, rubric, client_for):
    """The instructor's queue holds every student of the cohort; the mentor's only theirs."""
    now = timezone.now()
    first = submit(people.student, people.cohort, 1, now=now - datetime.timedelta(hours=3))
    foreign = submit(people.foreign_student, people.other_cohort, 1, now=now - datetime.timedelta(hours=2))
    response = client_for(people.mentor).post(
        score_url(first), {**post_data(rubric, 4, decision="accept"), "then": "next"}, follow=True
    )
    assert score_url(foreign) not in response.content.decode()
    assert "your review queue is empty" in response.content.decode()


def test_the_server_total_matches_the_services_score(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    points = [4, 3, 2, 1, 3]
    assessment = assessment_record(
        revision=revision,
        scorer=people.mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, points),
        feedback="Revise",
        decision="request_changes",
    )
    second = submit(people.student, people.cohort)
    data = {"feedback": "", "draft_version": "0", "decision": ""}
    for criterion_id, (level_id, _) in scores_for(rubric, points).items():
        data[f"criterion_{criterion_id}"] = str(level_id)
    client_for(people.mentor).post(draft_url(second), data, **AUTOSAVE)
    page = client_for(people.mentor).get(score_url(second)).content.decode()
    assert f"<strong>{assessment.score}</strong> / 100" in page


def test_the_draft_autosave_reply_is_json_that_names_the_saved_time(people, rubric, client_for, settings):
    revision = submit(people.student, people.cohort)
    response = client_for(people.mentor).post(draft_url(revision), partial_post(rubric), **AUTOSAVE)
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["saved_at"].count(":") == 2


def test_erasing_a_person_deletes_the_drafts_they_wrote_and_those_about_their_work(people, rubric):
    about_student = submit(people.student, people.cohort)
    about_other = submit(people.other_student, people.cohort)
    assessment_draft_save(revision=about_student, scorer=people.mentor, levels={}, feedback="On the student")
    assessment_draft_save(revision=about_other, scorer=people.mentor, levels={}, feedback="On the other")
    assessment_draft_save(revision=about_other, scorer=people.instructor, levels={}, feedback="Instructor's")

    erasure = Erasure(user=people.student, pseudonym="Former student", now=timezone.now())
    PROVIDER.erase(erasure)
    assert erasure.counts["draft assessments deleted"] == 1
    assert set(AssessmentDraft.objects.values_list("feedback", flat=True)) == {"On the other", "Instructor's"}

    erasure = Erasure(user=people.mentor, pseudonym="Former mentor", now=timezone.now())
    PROVIDER.erase(erasure)
    assert list(AssessmentDraft.objects.values_list("feedback", flat=True)) == ["Instructor's"]
