"""What the feedback app holds about a person (see core.privacy): the threads and comments
on their work, and the threads and comments they wrote on others' work.

The export names every author as the person may see them (selectors.AuthorNames: an
anonymous peer stays "Peer reviewer N"; a peer never learns whose work they commented on).

Erasure removes the words of the person's own comments (each stays as "comment removed",
so a thread still reads in order) and their addressed notes; words others wrote on the
person's work stay, with every mention of the person's name or address replaced by the
pseudonym.
"""

from accounts.models import User
from core.privacy import DataProvider, Erasure, ExportArchive

from .models import Comment, Thread
from .selectors import AuthorNames


def _thread_data(thread: Thread, names: AuthorNames, *, name_work: bool) -> dict:
    anchor = max(thread.anchors.all(), key=lambda a: a.revision.number, default=None)
    return {
        "work": thread.work.target_label if name_work else "a classmate's work",
        "section": thread.section_title,
        "status": thread.status,
        "opened_on_revision": thread.revision.number,
        "quote": anchor.quote if anchor else "",
        "addressed_note": thread.addressed_note,
        "comments": [
            {
                "author": names.of(thread, c.author),
                "written_at": c.created_at.isoformat(),
                "body": "" if c.is_removed else c.body,
                "removed": c.is_removed,
                "edited": c.edited_at is not None,
            }
            for c in thread.comments.all()
        ],
    }


def _threads(queryset):
    return (
        queryset.select_related(
            "work__student", "work__cohort", "work__week", "work__deliverable", "revision", "author", "peer_assignment"
        )
        .prefetch_related("comments__author", "anchors__revision")
        .order_by("pk")
    )


def _export(user: User, archive: ExportArchive) -> None:
    on_my_work = []
    names_by_work: dict[int, AuthorNames] = {}
    for thread in _threads(Thread.objects.filter(work__student=user)):
        names = names_by_work.setdefault(thread.work_id, AuthorNames(user, thread.work))
        on_my_work.append(_thread_data(thread, names, name_work=True))
    by_me = []
    for thread in _threads(Thread.objects.filter(comments__author=user).exclude(work__student=user).distinct()):
        names = names_by_work.setdefault(thread.work_id, AuthorNames(user, thread.work))
        by_me.append(_thread_data(thread, names, name_work=names.sees_work))
    archive.add_json("comment_threads.json", {"on_my_work": on_my_work, "i_took_part_in": by_me})


def _erase(erasure: Erasure) -> None:
    user = erasure.user
    erasure.count(
        "comments' words removed",
        Comment.objects.filter(author=user, removed_at__isnull=True).update(body="", removed_at=erasure.now),
    )
    erasure.count(
        "addressed notes removed",
        Thread.objects.filter(work__student=user).exclude(addressed_note="").update(addressed_note=""),
    )
    scrubbed = 0
    for comment in Comment.objects.filter(thread__work__student=user).exclude(author=user).exclude(body=""):
        text = erasure.scrub_text(comment.body)
        if text != comment.body:
            comment.body = text
            comment.save(update_fields=["body"])
            scrubbed += 1
    erasure.count("comment mentions replaced", scrubbed)


PROVIDER = DataProvider(
    label="Comment threads",
    models=("feedback.Thread", "feedback.Comment", "feedback.Anchor"),
    export=_export,
    erase=_erase,
)
