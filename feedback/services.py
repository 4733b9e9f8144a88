"""Business actions on comment threads. Pages, the API, the demo and the carry task call
these; each checks the policy itself, so no caller can skip it."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from rubrics.models import PeerAssignment
from submissions.models import Artifact, Revision, WeeklyWork

from . import policies
from .anchors import SECTION_FIELDS, find_quote, reanchor
from .models import SECTION_TITLES, Anchor, Comment, Thread
from .signals import comment_posted, thread_addressed


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a comment."}, code="required")
    limit = settings.FEEDBACK_COMMENT_MAX_CHARS
    if len(body) > limit:
        raise ValidationError(
            {"body": f"A comment is at most {limit} characters; this one has {len(body)}. Split it or shorten it."},
            code="too_long",
        )
    return body


def _peer_number(assignment: PeerAssignment) -> int:
    """The reviewer's place among the revision's peer reviewers ("Peer reviewer 2")."""
    return PeerAssignment.objects.filter(revision_id=assignment.revision_id, pk__lte=assignment.pk).count()


def _post(*, thread: Thread, author: User, body: str) -> Comment:
    comment = Comment(thread=thread, author=author, body=body)
    comment.full_clean()
    comment.save()
    comment_posted.send(sender=Comment, comment=comment)
    return comment


@transaction.atomic
def thread_open(
    *,
    revision: Revision,
    by: User,
    body: str,
    section: str,
    quote: str = "",
    prefix: str = "",
    suffix: str = "",
    artifact_id: int | None = None,
) -> Thread:
    """Open a thread on a revision about a quote in a section (`quote` given), a whole section,
    or an evidence item (`artifact_id`), with its first comment."""
    # One reviewer's threads on a work are counted under the work's lock, so two requests at
    # once cannot both take the last place under the limit.
    work = WeeklyWork.objects.select_for_update().get(pk=revision.work_id)
    revision.work = work
    assignment = policies.peer_assignment_for(by, revision)
    if not policies.can_open_thread(by, revision, assignment=assignment):
        raise PermissionDenied("You may not comment on this revision.")
    by_peer = not policies.can_score_as_mentor(by, work)
    body = _check_body(body)
    if section not in SECTION_TITLES:
        raise ValidationError({"section": "Choose a section of the work."}, code="invalid")
    limit = settings.FEEDBACK_THREADS_PER_REVIEWER
    if Thread.objects.by_reviewer_on(author=by, revision=revision).count() >= limit:
        raise ValidationError(
            f"You have opened {limit} threads on this revision, the most one reviewer may. "
            "Add to one of them, or resolve one you opened and reuse it.",
            code="thread_limit",
        )
    artifact = None
    found = None
    target = Thread.Target.SECTION
    if artifact_id is not None:
        artifact = Artifact.objects.filter(pk=artifact_id, revision_links__revision=revision).first()
        if artifact is None:
            raise ValidationError({"artifact": "That evidence item is not part of this revision."}, code="invalid")
        section, target = "evidence", Thread.Target.EVIDENCE
    elif quote.strip():
        if section not in SECTION_FIELDS:
            raise ValidationError(
                {"quote": f"Text in “{SECTION_TITLES[section]}” cannot be quoted; comment on the whole section."},
                code="invalid",
            )
        found = find_quote(revision.content, section, quote, prefix, suffix)
        if found is None:
            raise ValidationError(
                {
                    "quote": f"The selected text was not found in “{SECTION_TITLES[section]}” of revision "
                    f"{revision.number}. Select text inside one section, or comment on the whole section."
                },
                code="quote_not_found",
            )
        target = Thread.Target.QUOTE
    thread = Thread(
        work=work,
        revision=revision,
        author=by,
        by_peer=by_peer,
        peer_assignment=assignment if by_peer else None,
        peer_number=_peer_number(assignment) if by_peer and assignment else 0,
        section=section,
        target=target,
        artifact=artifact,
    )
    thread.full_clean()
    thread.save()
    anchor = Anchor(thread=thread, revision=revision)
    if found is not None:
        anchor.field, anchor.quote, anchor.prefix, anchor.suffix = found.field, found.quote, found.prefix, found.suffix
        anchor.start, anchor.end = found.start, found.end
    anchor.full_clean()
    anchor.save()
    _post(thread=thread, author=by, body=body)
    return thread


@transaction.atomic
def thread_reply(*, thread: Thread, by: User, body: str) -> Comment:
    thread = Thread.objects.select_for_update().select_related("work").get(pk=thread.pk)
    if not policies.can_reply(by, thread):
        raise PermissionDenied("You may not reply in this thread.")
    return _post(thread=thread, author=by, body=_check_body(body))


@transaction.atomic
def thread_resolve(*, thread: Thread, by: User, now: datetime.datetime | None = None) -> Thread:
    thread = Thread.objects.select_for_update().select_related("work").get(pk=thread.pk)
    if not policies.can_settle(by, thread):
        raise PermissionDenied("Only a mentor or the thread's author resolves it.")
    if thread.status == Thread.Status.RESOLVED:
        return thread
    thread.status, thread.resolved_by, thread.resolved_at = Thread.Status.RESOLVED, by, now or timezone.now()
    thread.save(update_fields=["status", "resolved_by", "resolved_at", "updated_at"])
    return thread


@transaction.atomic
def thread_reopen(*, thread: Thread, by: User) -> Thread:
    """Back to open: the mentor does not agree it is addressed, or a resolved point came back."""
    thread = Thread.objects.select_for_update().select_related("work").get(pk=thread.pk)
    if not policies.can_settle(by, thread):
        raise PermissionDenied("Only a mentor or the thread's author reopens it.")
    if thread.status == Thread.Status.OPEN:
        return thread
    thread.status = Thread.Status.OPEN
    thread.resolved_by = thread.resolved_at = None
    thread.save(update_fields=["status", "resolved_by", "resolved_at", "updated_at"])
    return thread


@transaction.atomic
def thread_mark_addressed(*, thread: Thread, by: User, note: str = "", now: datetime.datetime | None = None) -> Thread:
    """The student says the next revision answers this thread, with a short note on how."""
    thread = Thread.objects.select_for_update().select_related("work").get(pk=thread.pk)
    if not policies.can_mark_addressed(by, thread):
        raise PermissionDenied("Only the student marks a thread addressed.")
    note = (note or "").strip()
    limit = settings.FEEDBACK_ADDRESSED_NOTE_MAX_CHARS
    if len(note) > limit:
        raise ValidationError(
            {"note": f"The note is at most {limit} characters; this one has {len(note)}."}, code="too_long"
        )
    if thread.status != Thread.Status.OPEN:
        raise ValidationError(f"This thread is {thread.get_status_display().lower()}, not open.", code="not_open")
    if not thread.work.is_editable:
        raise ValidationError(
            "Mark threads addressed while you revise the work (after changes were requested).", code="not_revising"
        )
    thread.status = Thread.Status.ADDRESSED
    thread.addressed_note, thread.addressed_by, thread.addressed_at = note, by, now or timezone.now()
    thread.addressed_in = None  # set when the next revision is submitted
    thread.save(
        update_fields=["status", "addressed_note", "addressed_by", "addressed_at", "addressed_in", "updated_at"]
    )
    thread_addressed.send(sender=Thread, thread=thread, by=by)
    return thread


@transaction.atomic
def comment_edit(*, comment: Comment, by: User, body: str, now: datetime.datetime | None = None) -> Comment:
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if not policies.can_edit_comment(by, comment):
        raise PermissionDenied("Only its author edits a comment.")
    body = _check_body(body)
    if Comment.objects.filter(thread_id=comment.thread_id, pk__gt=comment.pk).exclude(author_id=by.pk).exists():
        raise ValidationError(
            {"body": "Someone has replied since; a comment that was answered is not edited. Reply instead."},
            code="replied",
        )
    if body != comment.body:
        comment.body, comment.edited_at = body, now or timezone.now()
        comment.save(update_fields=["body", "edited_at"])
    return comment


@transaction.atomic
def comment_remove(*, comment: Comment, by: User, now: datetime.datetime | None = None) -> Comment:
    """The words go; the comment stays in its place as “comment removed”."""
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if not policies.can_edit_comment(by, comment):
        raise PermissionDenied("Only its author removes a comment.")
    comment.body, comment.removed_at, comment.removed_by = "", now or timezone.now(), by
    comment.save(update_fields=["body", "removed_at", "removed_by"])
    return comment


@transaction.atomic
def threads_carry(*, revision: Revision) -> int:
    """Carry the work's unresolved threads to a newly submitted revision, re-anchored to the
    same text where it still stands (idempotent: a thread already anchored there is left
    alone). Returns how many were carried."""
    work = WeeklyWork.objects.select_for_update().get(pk=revision.work_id)
    carried = 0
    already = set(Anchor.objects.filter(revision=revision).values_list("thread_id", flat=True))
    threads = list(
        Thread.objects.filter(work=work, revision__number__lt=revision.number)
        .unresolved()
        .exclude(pk__in=already)
        .order_by("pk")
    )
    if not threads:
        return 0
    latest: dict[int, Anchor] = {}
    for anchor in (
        Anchor.objects.filter(thread__in=threads, revision__number__lt=revision.number)
        .select_related("revision")
        .order_by("revision__number")
    ):
        latest[anchor.thread_id] = anchor
    artifact_ids = set(revision.revision_artifacts.values_list("artifact_id", flat=True))
    for thread in threads:
        previous = latest.get(thread.pk)
        anchor = Anchor(thread=thread, revision=revision)
        if previous is not None and thread.target == Thread.Target.QUOTE and previous.start is not None:
            if previous.is_outdated:
                # Already outdated: the old quote stays, as it was first seen.
                anchor.state, anchor.field, anchor.quote = Anchor.State.OUTDATED, previous.field, previous.quote
                anchor.prefix, anchor.suffix = previous.prefix, previous.suffix
            else:
                moved = reanchor(
                    old_content=previous.revision.content,
                    new_content=revision.content,
                    section=thread.section,
                    field=previous.field,
                    start=previous.start,
                    end=previous.end,
                    prefix=previous.prefix,
                    suffix=previous.suffix,
                )
                anchor.state, anchor.field, anchor.quote = moved.state, moved.field, moved.quote
                anchor.prefix, anchor.suffix, anchor.start, anchor.end = (
                    moved.prefix,
                    moved.suffix,
                    moved.start,
                    moved.end,
                )
                anchor.current_text = moved.current_text
        elif thread.target == Thread.Target.EVIDENCE and thread.artifact_id not in artifact_ids:
            anchor.state = Anchor.State.OUTDATED
        anchor.full_clean()
        anchor.save()
        if thread.status == Thread.Status.ADDRESSED and thread.addressed_in_id is None:
            thread.addressed_in = revision
            thread.save(update_fields=["addressed_in", "updated_at"])
        carried += 1
    return carried
