"""The comment pages and form posts, for every role: the scoring page's form, the peer review
page, the workspace beside each section, the thread page; the anonymity of peers in pages."""

import pytest
from django.urls import reverse

from feedback import services
from feedback.models import Comment, Thread
from submissions import services as submission_services

pytestmark = pytest.mark.django_db

QUOTE = "The ORM dominates the p95 latency"


def post_thread(client, revision, **data):
    payload = {"section": "concept", "quote": QUOTE, "prefix": "", "suffix": "", "body": "Measure it.", "next": ""}
    payload.update(data)
    return client.post(reverse("feedback:thread_create", args=[revision.pk]), payload)


def test_the_scoring_page_offers_the_comment_form_and_the_script(revision, people, client_for, rubric):
    page = client_for(people.mentor).get(reverse("rubrics:score", args=[revision.pk])).content.decode()
    assert "data-comment-form" in page
    assert "js/feedback.js" in page
    assert 'data-section="concept"' in page


def test_a_mentor_posts_a_quoted_comment_and_returns_to_the_page_at_the_thread(revision, people, client_for):
    back = reverse("rubrics:score", args=[revision.pk])
    response = post_thread(client_for(people.mentor), revision, next=back)
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{back}#thread-{thread.pk}"
    page = client_for(people.mentor).get(back).content.decode()
    assert f'id="thread-{thread.pk}"' in page
    assert "The **ORM** dominates the p95 latency" in page


def test_a_quote_that_cannot_be_found_is_refused_with_the_comment_kept(revision, people, client_for):
    response = post_thread(client_for(people.mentor), revision, quote="Nothing like this", body="Keep my words")
    assert response.status_code == 400
    body = response.content.decode()
    assert "was not found" in body and "Keep my words" in body
    assert not Thread.objects.exists()


def test_a_comment_over_the_limit_is_refused_clearly(revision, people, client_for, settings):
    settings.FEEDBACK_COMMENT_MAX_CHARS = 10
    response = post_thread(client_for(people.mentor), revision, body="x" * 11)
    assert response.status_code == 400
    assert "at most 10 characters" in response.content.decode()


def test_an_offsite_next_is_ignored(revision, people, client_for):
    response = post_thread(client_for(people.mentor), revision, next="https://evil.example/")
    assert response["Location"].startswith(reverse("feedback:thread", args=[Thread.objects.get().pk]))


@pytest.mark.parametrize(
    "who", ["student", "other_student", "unassigned_mentor", "foreign_mentor", "foreign_student", "stranger"]
)
def test_others_cannot_open_a_thread(revision, people, client_for, who):
    response = post_thread(client_for(getattr(people, who)), revision)
    assert response.status_code == 404
    assert not Thread.objects.exists()


def test_an_anonymous_peer_comments_from_the_peer_review_page_and_is_never_named(revision, people, peer, client_for):
    page = client_for(people.other_student).get(reverse("rubrics:peer_review", args=[peer.pk])).content.decode()
    assert "data-comment-form" in page
    assert people.student.display_name not in page
    post_thread(client_for(people.other_student), revision, body="Where is the baseline?")
    thread = Thread.objects.get()
    services.thread_reply(thread=thread, by=people.student, body="In the appendix.")
    peer_name = people.other_student.display_name
    # The student's pages: workspace (changes requested), revision page, thread page.
    submission_services.work_request_changes(work=revision.work, revision=revision, by=people.mentor)
    student = client_for(people.student)
    for url in (
        reverse("submissions:work", args=[revision.work.pk]),
        reverse("submissions:revision", args=[revision.work.pk, revision.number]),
        reverse("feedback:thread", args=[thread.pk]),
    ):
        page = student.get(url).content.decode()
        assert "Where is the baseline?" in page, url
        assert "Peer reviewer 1" in page, url
        assert peer_name not in page, url
    # The peer's own view never names the student.
    page = client_for(people.other_student).get(reverse("feedback:thread", args=[thread.pk])).content.decode()
    assert "The author" in page and people.student.display_name not in page
    # The mentor knows who it was.
    page = client_for(people.mentor).get(reverse("feedback:thread", args=[thread.pk])).content.decode()
    assert peer_name in page


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("student", 200),
        ("mentor", 200),
        ("instructor", 200),
        ("admin", 200),
        ("other_student", 404),
        ("unassigned_mentor", 404),
        ("foreign_mentor", 404),
        ("foreign_instructor", 404),
        ("stranger", 404),
    ],
)
def test_the_thread_page_for_each_role(revision, people, client_for, who, status):
    thread = services.thread_open(revision=revision, by=people.mentor, body="Look here", section="lab")
    response = client_for(getattr(people, who)).get(reverse("feedback:thread", args=[thread.pk]))
    assert response.status_code == status
    assert client_for(None).get(reverse("feedback:thread", args=[thread.pk])).status_code == 302


def test_the_student_replies_and_marks_addressed_from_the_workspace(revision, people, client_for):
    thread = services.thread_open(revision=revision, by=people.mentor, body="Quantify", section="concept", quote=QUOTE)
    submission_services.work_request_changes(work=revision.work, revision=revision, by=people.mentor)
    student = client_for(people.student)
    workspace = reverse("submissions:work", args=[revision.work.pk])
    page = student.get(workspace).content.decode()
    assert f'id="thread-{thread.pk}"' in page and "Mark addressed" in page
    response = student.post(reverse("feedback:reply", args=[thread.pk]), {"body": "Will do", "next": workspace})
    assert response.status_code == 302 and response["Location"] == f"{workspace}#thread-{thread.pk}"
    response = student.post(reverse("feedback:addressed", args=[thread.pk]), {"note": "New table", "next": workspace})
    thread.refresh_from_db()
    assert thread.status == Thread.Status.ADDRESSED and thread.addressed_note == "New table"
    # Nobody else marks it addressed or replies.
    for who in (people.other_student, people.foreign_mentor):
        assert client_for(who).post(reverse("feedback:reply", args=[thread.pk]), {"body": "x"}).status_code == 404
        assert client_for(who).post(reverse("feedback:addressed", args=[thread.pk]), {"note": ""}).status_code == 404
    assert client_for(people.mentor).post(reverse("feedback:addressed", args=[thread.pk])).status_code == 404


def test_the_threads_marked_addressed_are_listed_beside_the_revision_note(revision, people, client_for):
    marked = services.thread_open(revision=revision, by=people.mentor, body="Quantify", section="concept", quote=QUOTE)
    still_open = services.thread_open(revision=revision, by=people.mentor, body="And the lab?", section="lab")
    submission_services.work_request_changes(work=revision.work, revision=revision, by=people.mentor)
    student = client_for(people.student)
    workspace = reverse("submissions:work", args=[revision.work.pk])
    assert "Threads you marked addressed" not in student.get(workspace).content.decode()

    student.post(reverse("feedback:addressed", args=[marked.pk]), {"note": "Added p95 figures", "next": workspace})
    page = student.get(workspace).content.decode()

    note_section = page[page.index('id="s-note"') :]
    listed = note_section[note_section.index("Threads you marked addressed") :]
    assert f'href="#thread-{marked.pk}"' in listed and "Added p95 figures" in listed
    assert f'href="#thread-{still_open.pk}"' not in listed
    # The mentor reading the workspace sees the same list, in the mentor's words.
    assert "Threads marked addressed" in client_for(people.mentor).get(workspace).content.decode()


def test_the_mentor_resolves_and_reopens_the_student_cannot(revision, people, client_for):
    thread = services.thread_open(revision=revision, by=people.mentor, body="Quantify", section="lab")
    url = reverse("feedback:settle", args=[thread.pk, "resolve"])
    assert client_for(people.student).post(url).status_code == 404
    assert client_for(people.unassigned_mentor).post(url).status_code == 404
    assert client_for(people.instructor).post(url).status_code == 302
    thread.refresh_from_db()
    assert thread.status == Thread.Status.RESOLVED
    client_for(people.mentor).post(reverse("feedback:settle", args=[thread.pk, "reopen"]))
    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN


def test_editing_and_removing_through_the_page(revision, people, client_for):
    thread = services.thread_open(revision=revision, by=people.mentor, body="Frist", section="lab")
    comment = thread.comments.get()
    mentor = client_for(people.mentor)
    assert (
        client_for(people.student)
        .post(reverse("feedback:comment", args=[comment.pk, "edit"]), {"body": "x"})
        .status_code
        == 404
    )
    mentor.post(reverse("feedback:comment", args=[comment.pk, "edit"]), {"body": "First"})
    page = mentor.get(reverse("feedback:thread", args=[thread.pk])).content.decode()
    assert "First" in page and "edited" in page
    services.thread_reply(thread=thread, by=people.student, body="Thanks")
    response = mentor.post(reverse("feedback:comment", args=[comment.pk, "edit"]), {"body": "Changed"})
    assert response.status_code == 400 and "replied" in response.content.decode()
    mentor.post(reverse("feedback:comment", args=[comment.pk, "remove"]))
    page = mentor.get(reverse("feedback:thread", args=[thread.pk])).content.decode()
    assert "Comment removed." in page and Comment.objects.filter(thread=thread).count() == 2


def test_comment_markdown_is_sanitised(revision, people, client_for):
    services.thread_open(
        revision=revision,
        by=people.mentor,
        body="<script>alert(1)</script>[x](javascript:alert(1)) **ok**",
        section="lab",
    )
    page = client_for(people.student).get(reverse("submissions:revision", args=[revision.work.pk, 1])).content.decode()
    assert "<script>alert(1)" not in page and "javascript:alert" not in page
    assert "<strong>ok</strong>" in page


def test_a_get_writes_nothing(revision, people, client_for, django_assert_num_queries):
    thread = services.thread_open(revision=revision, by=people.mentor, body="Look", section="lab")
    before = (Thread.objects.count(), Comment.objects.count(), thread.updated_at)
    client_for(people.student).get(reverse("feedback:thread", args=[thread.pk]))
    assert client_for(people.student).get(reverse("feedback:reply", args=[thread.pk])).status_code == 405
    thread.refresh_from_db()
    assert (Thread.objects.count(), Comment.objects.count(), thread.updated_at) == before
