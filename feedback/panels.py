"""The feedback app's parts of pages owned below it, through their panel slots
(core.panels): the scoring page and the peer review page (rubrics), the workspace and the
revision page (submissions). Each provider reads a fixed number of queries however many
threads, comments and revisions there are."""

from __future__ import annotations

from core.panels import Panel
from submissions.models import Revision

from .models import SECTION_TITLES, Thread
from .selectors import AuthorNames, ThreadView, threads_by_section, threads_on_revision

ORDER = 40


def _evidence_choices(revision: Revision, *, anonymous: bool) -> list[tuple[int, str]]:
    """The revision's evidence items, from its snapshot (no query); a peer sees neutral names,
    as on the peer review page."""
    choices = []
    for number, item in enumerate(revision.content.get("artifacts", []), start=1):
        if anonymous:
            label = f"{'Link' if item.get('kind') == 'link' else 'Evidence file'} {number}: {item.get('proves', '')}"
        else:
            label = f"{item.get('name', '')}: {item.get('proves', '')}"
        choices.append((item["id"], label))
    return choices


def _sections_of(revision: Revision) -> list[tuple[str, str]]:
    """The sections a comment can be about, as the revision has them (a capstone deliverable
    has its deliverable text and no weekly concept, lab or retrospective)."""
    if revision.content.get("is_capstone"):
        keys = ["deliverable", "decision", "dossier", "evidence", "note"]
    else:
        keys = ["concept", "lab", "decision", "dossier", "evidence", "retrospective", "note"]
    return [(key, SECTION_TITLES[key]) for key in keys]


def _section_panels(views: list[ThreadView], *, mode: str) -> list[Panel]:
    return [
        Panel(
            template="feedback/_section_threads.html",
            context={
                "threads": items,
                "section": section,
                "section_title": SECTION_TITLES.get(section, section),
                "mode": mode,
            },
            placement=section,
            order=ORDER,
        )
        for section, items in threads_by_section(views).items()
    ]


def _review_panels(*, revision: Revision, user, mode: str) -> list[Panel]:
    work = revision.work
    if mode == "scoring":
        # The scoring page's access function (rubrics.policies.revision_get_for_scoring)
        # admitted only those who may score this work: they see it and are its mentors.
        names = AuthorNames(user, work, sees_work=True, is_mentor=True)
        can_open = work.latest_revision_id == revision.pk
    else:
        # The peer review page admits only the assigned reviewer, a classmate: never the
        # author nor a mentor, and not someone who may know whose work it is.
        names = AuthorNames(user, work, sees_work=False, is_mentor=False)
        can_open = True
    views = threads_on_revision(revision, user, with_previous=mode == "scoring", names=names)
    top = {
        "revision": revision,
        "mode": mode,
        "can_open": can_open,
        "sections": _sections_of(revision),
        "evidence": _evidence_choices(revision, anonymous=mode == "peer_review") if can_open else [],
        "open_count": sum(1 for v in views if v.thread.status == Thread.Status.OPEN),
        "addressed": [v for v in views if v.thread.status == Thread.Status.ADDRESSED],
        "outdated": [v for v in views if v.outdated and v.thread.status != Thread.Status.RESOLVED],
        "total": len(views),
    }
    return [Panel(template="feedback/_review_top.html", context=top, placement="top", order=ORDER)] + _section_panels(
        views, mode=mode
    )


def scoring_panels(*, revision: Revision, user, **_) -> list[Panel]:
    return _review_panels(revision=revision, user=user, mode="scoring")


def peer_review_panels(*, revision: Revision, user, **_) -> list[Panel]:
    return _review_panels(revision=revision, user=user, mode="peer_review")


def workspace_panels(*, work, user, **_) -> list[Panel]:
    """The student's open threads beside the sections they revise (the latest revision's)."""
    revision = work.latest_revision
    if revision is None:
        return []
    revision.work = work
    # The workspace view fetched the work through can_view_work.
    names = AuthorNames(user, work, sees_work=True, is_mentor=False if user.pk == work.student_id else None)
    views = threads_on_revision(revision, user, unresolved_only=True, names=names)
    if not views:
        return []
    top = {
        "revision": revision,
        "open_count": sum(1 for v in views if v.thread.status == Thread.Status.OPEN),
        "addressed_count": sum(1 for v in views if v.thread.status == Thread.Status.ADDRESSED),
        "is_student": user.pk == work.student_id,
    }
    panels = [Panel(template="feedback/_workspace_top.html", context=top, placement="top", order=ORDER)]
    addressed = [v for v in views if v.thread.status == Thread.Status.ADDRESSED and v.thread.addressed_in_id is None]
    if addressed:
        # Beside the revision note: what the student marked addressed goes with this revision
        # (feedback.services marks it "addressed in rN" on submit), listed so the note can say how.
        panels.append(
            Panel(
                template="feedback/_note_addressed.html",
                context={"threads": addressed, "is_student": top["is_student"], "revision": revision},
                placement="note",
                order=ORDER,
            )
        )
    return panels + _section_panels(views, mode="workspace")


def revision_panels(*, revision: Revision, user, **_) -> list[Panel]:
    # The revision page's access function checked can_view_work.
    names = AuthorNames(
        user, revision.work, sees_work=True, is_mentor=False if user.pk == revision.work.student_id else None
    )
    views = threads_on_revision(revision, user, names=names)
    return _section_panels(views, mode="revision")


def register() -> None:
    from rubrics.panels import PEER_REVIEW, SCORING
    from submissions.panels import REVISION, WORKSPACE

    SCORING.register(scoring_panels)
    PEER_REVIEW.register(peer_review_panels)
    WORKSPACE.register(workspace_panels)
    REVISION.register(revision_panels)
