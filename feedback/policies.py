"""Who may open, read, answer and settle comment threads. Views, the API and the panels ask
here; the access functions fetch and check together (404 for missing and forbidden alike).

- Open a thread on a revision: the student's mentors and the cohort's instructors (the
  review app's `can_score_as_mentor`), on the work's latest revision; an assigned peer, on
  the revision assigned to them.
- Read: the student and those who may see the work read every thread; a peer reads only
  the threads they opened.
- Reply: the student, the mentors and instructors, and the thread's author.
- Resolve or reopen: the mentors and instructors, and the thread's author.
- Mark addressed: the student, while the thread is open.
- Edit a comment: its author, before anyone else has replied; remove: its author.
"""

from __future__ import annotations

from django.http import Http404

from accounts.models import User
from rubrics.models import PeerAssignment
from rubrics.policies import can_score_as_mentor
from submissions.models import Revision, WeeklyWork
from submissions.policies import can_view_work

from .models import Comment, Thread


def _active(user: User) -> bool:
    return user.is_authenticated and user.is_active


def peer_assignment_for(user: User, revision: Revision) -> PeerAssignment | None:
    if not _active(user):
        return None
    return PeerAssignment.objects.filter(revision=revision, reviewer=user).first()


def can_open_thread(user: User, revision: Revision, *, assignment: PeerAssignment | None = None) -> bool:
    """`assignment`: the user's peer assignment on this revision, when the caller has it."""
    if not _active(user):
        return False
    work = revision.work
    if can_score_as_mentor(user, work):
        return work.latest_revision_id == revision.pk
    return assignment is not None and assignment.reviewer_id == user.pk and assignment.revision_id == revision.pk


def can_view_thread(user: User, thread: Thread, *, sees_work: bool | None = None) -> bool:
    if not _active(user):
        return False
    if thread.author_id == user.pk:
        return True
    return can_view_work(user, thread.work) if sees_work is None else sees_work


def can_reply(user: User, thread: Thread) -> bool:
    if not _active(user):
        return False
    return user.pk == thread.work.student_id or thread.author_id == user.pk or can_score_as_mentor(user, thread.work)


def can_settle(user: User, thread: Thread) -> bool:
    """Resolve or reopen."""
    return _active(user) and (thread.author_id == user.pk or can_score_as_mentor(user, thread.work))


def can_mark_addressed(user: User, thread: Thread) -> bool:
    return _active(user) and user.pk == thread.work.student_id


def can_edit_comment(user: User, comment: Comment) -> bool:
    return _active(user) and comment.author_id == user.pk and not comment.is_removed


def sees_author_of_work(user: User, work: WeeklyWork) -> bool:
    """Whether the viewer may know whose work this is (peers may not)."""
    return _active(user) and (user.pk == work.student_id or can_view_work(user, work))


def thread_get_for_user(user: User, pk: int, *, for_update: bool = False) -> Thread:
    queryset = Thread.objects.select_related(
        "work__student", "work__cohort", "work__week", "work__deliverable", "revision", "author", "artifact"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    thread = queryset.filter(pk=pk).first()
    if thread is None or not can_view_thread(user, thread):
        raise Http404("No such thread.")
    return thread


def comment_get_for_user(user: User, pk: int) -> Comment:
    comment = Comment.objects.select_related("thread", "author").filter(pk=pk).first()
    if comment is None:
        raise Http404("No such comment.")
    comment.thread = thread_get_for_user(user, comment.thread_id)
    return comment


def revision_get_for_threads(user: User, pk: int) -> tuple[Revision, PeerAssignment | None]:
    """A revision whose threads the user may read: its viewers, and its assigned peers."""
    revision = (
        Revision.objects.select_related("work__student", "work__cohort", "work__week", "work__deliverable")
        .filter(pk=pk)
        .first()
    )
    if revision is None or not _active(user):
        raise Http404("No such revision.")
    if can_view_work(user, revision.work):
        return revision, peer_assignment_for(user, revision)
    assignment = peer_assignment_for(user, revision)
    if assignment is None:
        raise Http404("No such revision.")
    return revision, assignment
