"""Threads through the services: who may open, reply, resolve, mark addressed; edit before a
reply only; removal leaves a trace; the limits; carrying to the next revision."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from feedback import services
from feedback.models import Anchor, Comment, Thread
from feedback.selectors import comment_author_shown_to, threads_on_revision
from feedback.signals import comment_posted, thread_addressed
from rubrics.models import PeerAssignment
from tests.feedback.conftest import resubmit

pytestmark = pytest.mark.django_db


def open_quote(revision, by, text="The ORM dominates the p95 latency", body="Measure it first."):
    return services.thread_open(revision=revision, by=by, body=body, section="concept", quote=text)


def test_a_mentor_comments_on_a_sentence_stored_as_a_quote_in_the_markdown(revision, people):
    thread = open_quote(revision, people.mentor)
    anchor = thread.anchors.get()
    assert thread.target == Thread.Target.QUOTE and thread.status == Thread.Status.OPEN
    assert anchor.field == "concept.text"
    assert anchor.quote == "The **ORM** dominates the p95 latency"
    assert revision.content["concept"]["text"][anchor.start : anchor.end] == anchor.quote
    assert thread.comments.get().body == "Measure it first."


def test_a_quote_that_is_not_in_the_section_is_refused_with_a_clear_error(revision, people):
    with pytest.raises(ValidationError) as caught:
        open_quote(revision, people.mentor, text="We rewrote everything in Rust")
    assert "was not found" in str(caught.value)
    assert not Thread.objects.exists()


def test_whole_section_and_evidence_threads(revision, people):
    section = services.thread_open(revision=revision, by=people.instructor, body="Thin.", section="lab")
    assert section.target == Thread.Target.SECTION and section.anchors.get().quote == ""
    with pytest.raises(ValidationError):
        services.thread_open(revision=revision, by=people.mentor, body="?", section="evidence", artifact_id=999999)


@pytest.mark.parametrize(
    "who", ["student", "other_student", "unassigned_mentor", "foreign_mentor", "foreign_instructor", "stranger"]
)
def test_nobody_else_opens_a_thread(revision, people, who):
    with pytest.raises(PermissionDenied):
        open_quote(revision, getattr(people, who))


def test_an_assigned_peer_comments_on_the_revision_assigned_to_them_only(
    revision, people, peer, django_capture_on_commit_callbacks
):
    thread = open_quote(revision, people.other_student)
    assert thread.by_peer and thread.peer_number == 1
    other = resubmit(revision, people.mentor, django_capture_on_commit_callbacks)
    # The submit task may give r2 the same reviewer; without that assignment, r2 is closed to them.
    PeerAssignment.objects.filter(revision=other, reviewer=people.other_student).delete()
    with pytest.raises(PermissionDenied):
        open_quote(other, people.other_student)


def test_an_anonymous_peer_is_never_named_to_the_student_and_the_student_never_to_the_peer(revision, people, peer):
    thread = open_quote(revision, people.other_student, body="Where is the baseline?")
    reply = services.thread_reply(thread=thread, by=people.student, body="Added in r2.")
    first = thread.comments.order_by("pk").first()
    assert comment_author_shown_to(first, people.student) == "Peer reviewer 1"
    assert comment_author_shown_to(first, people.mentor) == people.other_student.display_name
    assert comment_author_shown_to(reply, people.other_student) == "The author"
    assert comment_author_shown_to(reply, people.mentor) == people.student.display_name
    shown = threads_on_revision(revision, people.student)
    assert [c.author_shown for c in shown[0].comments] == ["Peer reviewer 1", "You"]


def test_an_open_peer_review_shows_the_peer_name(revision, people, peer):
    peer.anonymous = False
    peer.save(update_fields=["anonymous"])
    thread = open_quote(revision, people.other_student)
    assert comment_author_shown_to(thread.comments.get(), people.student) == people.other_student.display_name


def test_a_peer_reads_only_the_threads_they_opened(revision, people, peer):
    open_quote(revision, people.mentor, body="Mentor's point")
    mine = open_quote(revision, people.other_student, body="Peer's point")
    assert [v.pk for v in threads_on_revision(revision, people.other_student)] == [mine.pk]
    assert len(threads_on_revision(revision, people.student)) == 2


def test_replies_and_who_may_reply(revision, people):
    thread = open_quote(revision, people.mentor)
    services.thread_reply(thread=thread, by=people.student, body="Done: see the new table.")
    services.thread_reply(thread=thread, by=people.mentor, body="Thanks.")
    for who in (people.other_student, people.unassigned_mentor, people.foreign_mentor):
        with pytest.raises(PermissionDenied):
            services.thread_reply(thread=thread, by=who, body="Me too")
    assert thread.comments.count() == 3


def test_a_comment_is_edited_until_someone_replies_then_no_more(revision, people):
    thread = open_quote(revision, people.mentor)
    first = thread.comments.get()
    services.comment_edit(comment=first, by=people.mentor, body="Measure it first, with a baseline.")
    first.refresh_from_db()
    assert first.edited_at is not None and first.body.endswith("baseline.")
    services.thread_reply(thread=thread, by=people.student, body="OK")
    with pytest.raises(ValidationError, match="replied"):
        services.comment_edit(comment=first, by=people.mentor, body="Changed my mind")
    with pytest.raises(PermissionDenied):
        services.comment_edit(comment=first, by=people.student, body="Hijack")


def test_removing_a_comment_leaves_comment_removed(revision, people):
    thread = open_quote(revision, people.mentor)
    services.thread_reply(thread=thread, by=people.student, body="Oops, wrong thread")
    reply = thread.comments.order_by("-pk").first()
    services.comment_remove(comment=reply, by=people.student)
    reply.refresh_from_db()
    assert reply.is_removed and reply.body == ""
    assert Comment.objects.filter(thread=thread).count() == 2
    shown = threads_on_revision(revision, people.mentor)[0].comments
    assert shown[1].removed


def test_the_comment_length_limit_is_a_setting(revision, people, settings):
    settings.FEEDBACK_COMMENT_MAX_CHARS = 20
    with pytest.raises(ValidationError, match="at most 20 characters"):
        open_quote(revision, people.mentor, body="x" * 21)
    open_quote(revision, people.mentor, body="x" * 20)


def test_the_threads_per_reviewer_per_revision_limit_is_a_setting(revision, people, settings):
    settings.FEEDBACK_THREADS_PER_REVIEWER = 2
    open_quote(revision, people.mentor)
    services.thread_open(revision=revision, by=people.mentor, body="b", section="lab")
    with pytest.raises(ValidationError, match="the most one reviewer may"):
        services.thread_open(revision=revision, by=people.mentor, body="c", section="decision")
    # Another reviewer has their own allowance.
    services.thread_open(revision=revision, by=people.instructor, body="d", section="decision")


def test_resolve_and_reopen_by_the_mentor_or_the_author_only(revision, people):
    thread = open_quote(revision, people.instructor)
    with pytest.raises(PermissionDenied):
        services.thread_resolve(thread=thread, by=people.student)
    services.thread_resolve(thread=thread, by=people.mentor)
    thread.refresh_from_db()
    assert thread.status == Thread.Status.RESOLVED and thread.resolved_by == people.mentor
    services.thread_reopen(thread=thread, by=people.instructor)
    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN and thread.resolved_at is None


def test_signals_are_sent_for_comments_and_addressed(revision, people):
    posted, addressed = [], []

    def on_posted(sender, comment, **kwargs):
        posted.append(comment.pk)

    def on_addressed(sender, thread, by, **kwargs):
        addressed.append((thread.pk, by.pk))

    comment_posted.connect(on_posted)
    thread_addressed.connect(on_addressed)
    try:
        thread = open_quote(revision, people.mentor)
        services.thread_reply(thread=thread, by=people.student, body="Will do")
        from submissions import services as submission_services

        submission_services.work_request_changes(work=revision.work, revision=revision, by=people.mentor)
        services.thread_mark_addressed(thread=thread, by=people.student, note="New table.")
    finally:
        comment_posted.disconnect(on_posted)
        thread_addressed.disconnect(on_addressed)
    assert len(posted) == 2
    assert addressed == [(thread.pk, people.student.pk)]


def test_addressed_threads_carry_to_the_next_revision_with_addressed_in(
    revision, people, django_capture_on_commit_callbacks
):
    kept = open_quote(revision, people.mentor, text="Caching hides the slow query")
    changed = open_quote(revision, people.mentor, text="The ORM dominates the p95 latency")
    resolved = services.thread_open(revision=revision, by=people.mentor, body="Fine.", section="lab")
    services.thread_resolve(thread=resolved, by=people.mentor)
    from submissions import services as submission_services

    submission_services.work_request_changes(work=revision.work, revision=revision, by=people.mentor)
    services.thread_mark_addressed(thread=changed, by=people.student, note="Measured: the ORM is 60%.")
    with django_capture_on_commit_callbacks(execute=True):
        from tests.feedback.conftest import submit

        r2 = submit(
            people.student,
            people.cohort,
            concept="A new opening line.\n\n## Request path\n\nMeasured: serialisation dominates the p95 latency.\n\n"
            "Caching hides the slow query but does not remove it.",
        )
    kept_anchor = Anchor.objects.get(thread=kept, revision=r2)
    changed_anchor = Anchor.objects.get(thread=changed, revision=r2)
    assert kept_anchor.state == Anchor.State.ANCHORED
    assert r2.content["concept"]["text"][kept_anchor.start : kept_anchor.end] == "Caching hides the slow query"
    assert changed_anchor.state == Anchor.State.OUTDATED
    assert changed_anchor.quote == "The **ORM** dominates the p95 latency"
    assert not Anchor.objects.filter(thread=resolved, revision=r2).exists()
    changed.refresh_from_db()
    assert changed.addressed_in == r2
    r2.work = revision.work
    r2.work.refresh_from_db()
    views = {v.pk: v for v in threads_on_revision(r2, people.mentor, with_previous=True)}
    assert views[changed.pk].outdated
    diff = views[changed.pk].anchored_diff
    assert ("delete", "ORM") in [(op, t.strip("* ")) for op, t in diff if op == "delete"] or any(
        op == "delete" and "ORM" in t for op, t in diff
    )
    assert any(op == "insert" and "serialisation" in t for op, t in diff)
    # Carrying twice adds nothing.
    assert services.threads_carry(revision=r2) == 0


def test_marking_addressed_needs_the_student_and_an_open_thread_in_a_revisable_work(revision, people):
    thread = open_quote(revision, people.mentor)
    with pytest.raises(ValidationError, match="while you revise"):
        services.thread_mark_addressed(thread=thread, by=people.student)
    from submissions import services as submission_services

    submission_services.work_request_changes(work=revision.work, revision=revision, by=people.mentor)
    with pytest.raises(PermissionDenied):
        services.thread_mark_addressed(thread=thread, by=people.mentor)
    services.thread_mark_addressed(thread=thread, by=people.student, note="")
    with pytest.raises(ValidationError, match="not open"):
        services.thread_mark_addressed(thread=thread, by=people.student)
