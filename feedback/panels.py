"""The feedback app's parts of pages owned below it, through their panel slots
(core.panels): the scoring page and the peer review page (rubrics), the workspace and the
revision page (submissions). Each provider reads a fixed number of queries however many
threads, comments and revisions there are."""

from __future__ import annotations

from core.panels import Panel
from submissions.models import Revision, RevisionArtifact

from . import policies
from .models import SECTION_TITLES, Thread
from .selectors import ThreadView, threads_by_section, threads_on_revision

ORDER = 40


def _evidence_choices(revision: Revision, *, anonymous: bool) -> list[tuple[int, str]]:
    links = RevisionArtifact.objects.filter(revision=revision).select_related("artifact").order_by("artifact_id")
    choices = []
    for number, link in enumerate(links, start=1):
        artifact = link.artifact
        if anonymous:
            label = f"{'Link' if artifact.kind == 'link' else 'Evidence file'} {number}: {artifact.proves}"
        else:
            label = f"{artifact.label}: {artifact.proves}"
        choices.append((artifact.pk, label))
    return choices


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
    assignment = None if mode == "scoring" else policies.peer_assignment_for(user, revision)
    previous = None
    if mode == "scoring" and revision.number > 1:
        previous = (
            Revision.objects.filter(work_id=revision.work_id, number=revision.number - 1).defer("content").first()
        )
    views = threads_on_revision(revision, user, previous=previous)
    can_open = policies.can_open_thread(user, revision, assignment=assignment)
    top = {
        "revision": revision,
        "mode": mode,
        "can_open": can_open,
        "sections": [(k, v) for k, v in SECTION_TITLES.items() if k not in ("risks",)],
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
    views = threads_on_revision(revision, user, unresolved_only=True)
    if not views:
        return []
    top = {
        "revision": revision,
        "open_count": sum(1 for v in views if v.thread.status == Thread.Status.OPEN),
        "addressed_count": sum(1 for v in views if v.thread.status == Thread.Status.ADDRESSED),
    }
    return [
        Panel(template="feedback/_workspace_top.html", context=top, placement="top", order=ORDER)
    ] + _section_panels(views, mode="workspace")


def revision_panels(*, revision: Revision, user, **_) -> list[Panel]:
    views = threads_on_revision(revision, user)
    return _section_panels(views, mode="revision")


def register() -> None:
    from rubrics.panels import PEER_REVIEW, SCORING
    from submissions.panels import REVISION, WORKSPACE

    SCORING.register(scoring_panels)
    PEER_REVIEW.register(peer_review_panels)
    WORKSPACE.register(workspace_panels)
    REVISION.register(revision_panels)
