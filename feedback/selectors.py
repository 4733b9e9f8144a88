"""Reads of comment threads shared by the pages (through the panel slots), the API, the
e-mails of the notifications app and the data export.

`AuthorNames` is the one owner of "how this comment's author is shown to this viewer": a
peer's name only where the review app's anonymity rule lets the viewer know it
(rubrics.policies.can_see_peer_identity), the student's name never to a peer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import User
from rubrics.policies import can_score_as_mentor, can_see_peer_identity
from submissions.content import inline_diff
from submissions.models import Revision, WeeklyWork

from . import policies
from .models import Anchor, Comment, Thread


class AuthorNames:
    """How the authors of a work's threads are shown to one viewer (policy checks once per
    viewer and anonymity setting, not once per comment)."""

    def __init__(
        self, viewer: User, work: WeeklyWork, *, sees_work: bool | None = None, is_mentor: bool | None = None
    ) -> None:
        """`sees_work`, `is_mentor`: what the page's access function already established
        about the viewer (the scoring page's viewer may score; a workspace's viewer sees the
        work), so the checks are not asked again."""
        self.viewer = viewer
        self.work = work
        self._sees_work = sees_work
        self._is_mentor = is_mentor
        self._peer_known: dict[bool | None, bool] = {}

    @property
    def sees_work(self) -> bool:
        if self._sees_work is None:
            self._sees_work = policies.sees_author_of_work(self.viewer, self.work)
        return self._sees_work

    @property
    def is_mentor(self) -> bool:
        if self._is_mentor is None:
            self._is_mentor = can_score_as_mentor(self.viewer, self.work)
        return self._is_mentor

    def _knows_peer(self, thread: Thread) -> bool:
        assignment = thread.peer_assignment
        key = assignment.anonymous if assignment is not None else None
        if key not in self._peer_known:
            if assignment is None:
                # A withdrawn assignment: its setting is gone, so only the staff see the name.
                self._peer_known[key] = self.is_mentor
            else:
                self._peer_known[key] = can_see_peer_identity(self.viewer, assignment, self.work)
        return self._peer_known[key]

    def of(self, thread: Thread, author: User) -> str:
        if author.pk == self.viewer.pk:
            return "You"
        if thread.by_peer and author.pk == thread.author_id:
            if self._knows_peer(thread):
                return author.display_name
            return f"Peer reviewer {thread.peer_number}" if thread.peer_number else "Peer reviewer"
        if author.pk == self.work.student_id:
            return author.display_name if self.sees_work else "The author"
        return author.display_name


def comment_author_shown_to(comment: Comment, viewer: User) -> str:
    """The name of a comment's author as `viewer` may see it (pages, API, e-mails, exports)."""
    thread = comment.thread
    return AuthorNames(viewer, thread.work).of(thread, comment.author)


@dataclass
class CommentView:
    comment: Comment
    author_shown: str
    can_edit: bool

    @property
    def removed(self) -> bool:
        return self.comment.is_removed

    @property
    def edited(self) -> bool:
        return self.comment.edited_at is not None and not self.comment.is_removed


@dataclass
class ThreadView:
    thread: Thread
    anchor: Anchor | None
    author_shown: str
    comments: list[CommentView] = field(default_factory=list)
    previous_anchor: Anchor | None = None
    can_reply: bool = False
    can_settle: bool = False
    can_mark_addressed: bool = False

    @property
    def pk(self) -> int:
        return self.thread.pk

    @property
    def outdated(self) -> bool:
        return self.anchor is not None and self.anchor.is_outdated

    @property
    def anchored_diff(self) -> list[tuple[str, str]]:
        """The anchored text from the previous revision to this one, word by word."""
        if self.previous_anchor is None or self.anchor is None or self.thread.target != Thread.Target.QUOTE:
            return []
        before = self.previous_anchor.quote
        after = self.anchor.current_text if self.anchor.is_outdated else self.anchor.quote
        return inline_diff(before, after)


def _thread_rows(revision: Revision, viewer: User, *, sees_work: bool):
    anchors = Anchor.objects.filter(revision=revision).select_related(
        "thread__author", "thread__artifact", "thread__peer_assignment", "thread__addressed_in"
    )
    if not sees_work:
        anchors = anchors.filter(thread__author=viewer)
    return list(anchors.order_by("thread__section", "start", "thread_id"))


def threads_on_revision(
    revision: Revision,
    viewer: User,
    *,
    with_previous: bool = False,
    unresolved_only: bool = False,
    names: AuthorNames | None = None,
) -> list[ThreadView]:
    """The threads anchored in a revision that the viewer may read, with their comments and
    what the viewer may do with each. One query when there are none; otherwise three (anchors
    with threads, comments, the previous revision's anchors when `with_previous`), plus the
    viewer's policy checks once (none that `names` already knows), however many threads,
    comments and revisions there are."""
    work = revision.work
    names = names or AuthorNames(viewer, work)
    sees_work = names.sees_work
    rows = _thread_rows(revision, viewer, sees_work=sees_work)
    if unresolved_only:
        rows = [a for a in rows if a.thread.status != Thread.Status.RESOLVED]
    if not rows:
        return []
    thread_ids = [a.thread_id for a in rows]
    comments: dict[int, list[Comment]] = {pk: [] for pk in thread_ids}
    for comment in (
        Comment.objects.filter(thread_id__in=thread_ids).select_related("author").order_by("created_at", "pk")
    ):
        comments[comment.thread_id].append(comment)
    before: dict[int, Anchor] = {}
    if with_previous and revision.number > 1:
        before = {
            a.thread_id: a
            for a in Anchor.objects.filter(
                revision__work_id=work.pk, revision__number=revision.number - 1, thread_id__in=thread_ids
            ).select_related("revision")
        }
    is_student = viewer.pk == work.student_id
    views = []
    for anchor in rows:
        thread = anchor.thread
        thread.work = work
        own = thread.author_id == viewer.pk
        mentor_or_author = own or (sees_work and not is_student and names.is_mentor)
        listed = comments[thread.pk]
        last_other = max((c.pk for c in listed if c.author_id != viewer.pk), default=0)
        views.append(
            ThreadView(
                thread=thread,
                anchor=anchor,
                author_shown=names.of(thread, thread.author),
                comments=[
                    CommentView(
                        comment=c,
                        author_shown=names.of(thread, c.author),
                        can_edit=c.author_id == viewer.pk and not c.is_removed and c.pk > last_other,
                    )
                    for c in listed
                ],
                previous_anchor=before.get(thread.pk),
                can_reply=is_student or mentor_or_author,
                can_settle=mentor_or_author,
                can_mark_addressed=is_student and thread.status == Thread.Status.OPEN and work.is_editable,
            )
        )
    return views


def threads_by_section(views: list[ThreadView]) -> dict[str, list[ThreadView]]:
    grouped: dict[str, list[ThreadView]] = {}
    for view in views:
        grouped.setdefault(view.thread.section, []).append(view)
    return grouped


def thread_view(thread: Thread, viewer: User) -> ThreadView:
    """One thread with its comments, as the viewer may see it, at its newest anchor."""
    anchor = thread.anchors.select_related("revision").order_by("-revision__number").first()
    if anchor is not None:
        anchor.revision.work = thread.work
        for view in threads_on_revision(anchor.revision, viewer):
            if view.pk == thread.pk:
                return view
    names = AuthorNames(viewer, thread.work)
    return ThreadView(thread=thread, anchor=None, author_shown=names.of(thread, thread.author))


def threads_addressed_pending(work: WeeklyWork) -> list[Thread]:
    """Threads the student marked addressed that the next submit will carry (the revision note
    can list them)."""
    return list(
        Thread.objects.filter(work=work, status=Thread.Status.ADDRESSED, addressed_in__isnull=True).order_by("pk")
    )
