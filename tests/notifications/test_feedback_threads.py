"""Comments, replies and threads marked addressed, told through the feedback app's signals:
to the right people, linking to the thread, batched, never naming a peer, and nothing told
for a comment whose transaction rolled back."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from feedback.services import thread_mark_addressed, thread_open, thread_reply
from notifications.models import FeedbackEvent, Kind, Notification
from notifications.services import feedback_deliver_due
from rubrics.models import Assessment
from rubrics.services import assessment_record, rubric_install_defaults
from tests.factories import PeerAssignmentFactory
from tests.rubrics.conftest import scores_for, submit

pytestmark = pytest.mark.django_db

LATER = datetime.timedelta(days=3)  # past the window and the review hold


@pytest.fixture
def rubric(course):
    return rubric_install_defaults(course=course)[0]


@pytest.fixture
def revision(people):
    return submit(people.student, people.cohort)


def workspace(revision, thread) -> str:
    return reverse("submissions:work", kwargs={"pk": revision.work_id}) + f"#thread-{thread.pk}"


def tell_all() -> None:
    feedback_deliver_due(now=timezone.now() + LATER)


def test_a_mentors_comments_during_review_are_told_with_the_decision(
    people, revision, rubric, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(10):
            thread_open(revision=revision, by=people.mentor, body=f"Point {n}: measure it.", section="concept")
        assessment_record(
            revision=revision,
            scorer=people.mentor,
            kind=Assessment.Kind.MENTOR,
            scores=scores_for(rubric, 2),
            feedback="Measure before you decide.",
            decision=Assessment.Decision.REQUEST_CHANGES,
        )
    tell_all()
    note = Notification.objects.get(recipient=people.student)
    assert note.title == "Changes requested on week 1, and 10 comments"
    assert f"{people.mentor.display_name} commented on your concept analysis: “Point 0: measure it.”" in note.body
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_reply_tells_the_student_and_the_student_s_reply_tells_the_mentor_with_links(
    people, revision, rubric, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assessment_record(
            revision=revision,
            scorer=people.mentor,
            kind=Assessment.Kind.MENTOR,
            scores=scores_for(rubric, 2),
            feedback="See the threads.",
            decision=Assessment.Decision.REQUEST_CHANGES,
        )
    Notification.objects.all().delete()
    mail.outbox.clear()
    # The work is in "changes requested" now: the mentor's thread is outside a review.
    thread = thread_open(revision=revision, by=people.mentor, body="Which percentile?", section="concept")
    thread_reply(thread=thread, by=people.student, body="The p95, over 10 minutes.")
    tell_all()
    to_student = Notification.objects.get(recipient=people.student)
    assert (to_student.kind, to_student.url) == (Kind.COMMENT_ON_WORK, workspace(revision, thread))
    to_mentor = Notification.objects.get(recipient=people.mentor)
    assert to_mentor.kind == Kind.COMMENT_REPLY
    assert to_mentor.url == workspace(revision, thread)
    assert f"{people.student.display_name} replied in “Concept analysis”" in to_mentor.body
    assert sorted(m.to[0] for m in mail.outbox) == sorted([people.student.email, people.mentor.email])


def test_a_peer_is_never_named_to_the_author_and_the_author_never_to_the_peer(
    people, revision, rubric, django_capture_on_commit_callbacks
):
    assignment = PeerAssignmentFactory(revision=revision, reviewer=people.other_student, anonymous=False)
    thread = thread_open(revision=revision, by=people.other_student, body="Cite the benchmark.", section="concept")
    with django_capture_on_commit_callbacks(execute=True):
        assessment_record(
            revision=revision,
            scorer=people.other_student,
            kind=Assessment.Kind.PEER,
            scores=scores_for(rubric, 3),
            feedback="Good.",
        )
    thread_reply(thread=thread, by=people.student, body="Added the link.")
    tell_all()
    to_author = Notification.objects.get(recipient=people.student)
    assert to_author.kind == Kind.PEER_REVIEW_RECEIVED
    assert "Peer reviewer 1 commented on your concept analysis" in to_author.body
    to_peer = Notification.objects.get(recipient=people.other_student)
    assert to_peer.kind == Kind.COMMENT_REPLY
    assert to_peer.url == reverse("rubrics:peer_review", kwargs={"pk": assignment.pk}) + f"#thread-{thread.pk}"
    to_author_texts = [to_author.title, to_author.body]
    to_peer_texts = [to_peer.title, to_peer.body]
    for message in mail.outbox:
        texts = [message.subject, message.body, *(content for content, _ in message.alternatives)]
        (to_author_texts if message.to == [people.student.email] else to_peer_texts).extend(texts)
    assert len(mail.outbox) == 2
    for text in to_author_texts:
        assert people.other_student.display_name not in text and people.other_student.email not in text
    for text in to_peer_texts:
        assert people.student.display_name not in text.replace(people.other_student.display_name, "")
    assert "The author replied" in to_peer.body


def test_threads_marked_addressed_tell_the_mentor_once_in_one_batch(
    people, revision, rubric, django_capture_on_commit_callbacks
):
    first = thread_open(revision=revision, by=people.mentor, body="Which percentile?", section="concept")
    second = thread_open(revision=revision, by=people.instructor, body="Cite it.", section="decision")
    with django_capture_on_commit_callbacks(execute=True):
        assessment_record(
            revision=revision,
            scorer=people.mentor,
            kind=Assessment.Kind.MENTOR,
            scores=scores_for(rubric, 2),
            feedback="See the threads.",
            decision=Assessment.Decision.REQUEST_CHANGES,
        )
    FeedbackEvent.objects.all().delete()
    Notification.objects.all().delete()
    for thread in (first, second):
        thread_mark_addressed(thread=thread, by=people.student, note="Now the p95 over 10 minutes.")
    tell_all()
    to_mentor = Notification.objects.get(recipient=people.mentor)
    assert (to_mentor.kind, to_mentor.title) == (Kind.THREAD_ADDRESSED, "2 comment threads were marked addressed")
    to_instructor = Notification.objects.get(recipient=people.instructor)  # the author of the second thread
    assert to_instructor.url == workspace(revision, second)
    assert not Notification.objects.filter(recipient=people.student).exists()
    tell_all()
    assert Notification.objects.count() == 2


def test_a_comment_rolled_back_is_never_told(people, revision):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        thread_open(revision=revision, by=people.mentor, body="Hmm.", section="concept")
        raise Boom
    assert FeedbackEvent.objects.count() == 0
