"""The scoring page and the workspace read threads in a fixed number of queries: the same
count with one thread as with 50 threads over 5 revisions (two comments each)."""

import pytest
from django.urls import reverse

from feedback import services
from feedback.models import Anchor
from submissions import services as submission_services
from tests.feedback.conftest import submit

pytestmark = pytest.mark.django_db


def _threads_over_revisions(people, captured, *, revisions: int, per_revision: int, week: int = 1):
    """`per_revision` threads opened by the mentor on each of `revisions` revisions, each with a
    reply by the student; changes requested after each but the last (the open threads are
    carried along, so the last revision shows them all)."""
    revision = submit(people.student, people.cohort, week=week, concept="Paragraph 0 of the concept.")
    for number in range(1, revisions + 1):
        for index in range(per_revision):
            section = ("concept", "lab", "decision", "retrospective", "note")[index % 5]
            thread = services.thread_open(
                revision=revision, by=people.mentor, body=f"Point {number}.{index}", section=section
            )
            services.thread_reply(thread=thread, by=people.student, body="Answered.")
        if number < revisions:
            submission_services.work_request_changes(work=revision.work, revision=revision, by=people.mentor)
            with captured(execute=True):
                revision = submit(
                    people.student,
                    people.cohort,
                    week=week,
                    concept="\n\n".join(f"Paragraph {n}." for n in range(number + 1)),
                )
    return revision


def _scoring_queries(people, client_for, django_assert_num_queries, revision, expected):
    client = client_for(people.mentor)
    # 20: 1 session, 2 user, 3 revision with its work, 4-5 mentor policy (role, assignment),
    # 6 rubric attachment, 7 criteria, 8 levels, 9 previous revision, 10 assessments of both
    # revisions (none, so no scores query), 11 outcome objectives, 12 their criterion links,
    # 13 mastery rule, 14 the mentor's draft assessment (no evidence here, so no previews
    # query); the improve items panel: 15 last week's retrospective, 16 the statuses set; the
    # feedback panel: 17 this revision's anchors with their threads and authors, 18 the
    # threads' comments with their authors, 19 the previous revision's anchors (the diff of
    # the anchored text); 20 navigation roles.
    with django_assert_num_queries(expected):
        response = client.get(reverse("rubrics:score", args=[revision.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_scoring_page_reads_50_threads_over_5_revisions_in_the_same_queries_as_one(
    people, client_for, django_assert_num_queries, django_capture_on_commit_callbacks, eager_tasks, rubric
):
    # Week 3, like the big one's week 2: from week 2 on the page also shows last week's improve items.
    small = _threads_over_revisions(people, django_capture_on_commit_callbacks, revisions=2, per_revision=1, week=3)
    assert Anchor.objects.filter(revision=small).count() == 2
    page = _scoring_queries(people, client_for, django_assert_num_queries, small, 20)
    assert "Point 1.0" in page

    big = _threads_on_week_two(people, django_capture_on_commit_callbacks)
    assert Anchor.objects.filter(revision=big).count() == 50
    page = _scoring_queries(people, client_for, django_assert_num_queries, big, 20)
    assert page.count('class="thread card') == 50


def _threads_on_week_two(people, captured):
    revision = submit(people.student, people.cohort, week=2, concept="Week two.")
    for number in range(1, 6):
        for index in range(10):
            section = ("concept", "lab", "decision", "retrospective", "note")[index % 5]
            thread = services.thread_open(
                revision=revision, by=people.mentor, body=f"W2 {number}.{index}", section=section
            )
            services.thread_reply(thread=thread, by=people.student, body="Answered.")
        if number < 5:
            submission_services.work_request_changes(work=revision.work, revision=revision, by=people.mentor)
            with captured(execute=True):
                revision = submit(people.student, people.cohort, week=2, concept=f"Week two, take {number + 1}.")
    return revision


def test_the_workspace_shows_50_threads_over_5_revisions_in_the_same_queries_as_one(
    people, client_for, django_assert_num_queries, django_capture_on_commit_callbacks, eager_tasks
):
    # In week 3 rather than 1, like the big one's week 2: from week 2 on the workspace also reads
    # last week's improve items, so both pages read the same things but for their threads.
    small = _threads_over_revisions(people, django_capture_on_commit_callbacks, revisions=1, per_revision=1, week=3)
    submission_services.work_request_changes(work=small.work, revision=small, by=people.mentor)
    big = _threads_on_week_two(people, django_capture_on_commit_callbacks)
    submission_services.work_request_changes(work=big.work, revision=big, by=people.mentor)
    client = client_for(people.student)
    for work, count in ((small.work, 1), (big.work, 50)):
        # 16: the workspace's 15 (tests/submissions/test_queries.py: with last week's improve
        # items and the changes-requested assessment; the anchors of the latest revision with
        # their threads among them) and the threads' comments with their authors.
        with django_assert_num_queries(16):
            response = client.get(reverse("submissions:work", args=[work.pk]))
        assert response.status_code == 200
        assert response.content.decode().count('class="thread card') == count
