"""What submissions holds about a person (see core.privacy): weekly work and its drafts,
every revision with its evidence files, the risk/defect log and retrospectives.

Erasure is the one path that may rewrite a frozen revision (`_erasure_rewrite`, which no
other module uses; a test checks that): each revision of the person keeps its number, dates,
lateness and state (cohort statistics and the review history need them) and loses its
content. Evidence files are deleted from storage and links forgotten. Risk entries keep
kind, severity, status and weeks (the cohort's risk trend) and lose their words;
retrospectives keep whether they were written ("retrospective done") and lose their words;
improve item statuses keep their status and lose the item's words and the note.
"""

from pathlib import PurePosixPath

from accounts.models import User
from core.privacy import DataProvider, Erasure, ExportArchive

from .content import empty_content
from .models import (
    Artifact,
    EvidencePreview,
    ImproveItemStatus,
    Retrospective,
    Revision,
    RevisionArtifact,
    RiskEntry,
    WeeklyWork,
    _erasure_rewrite,
)

ERASED_TEXT = "(erased)"


def artifact_archive_path(artifact: Artifact) -> str:
    """Where an evidence file sits in the export: its id keeps two uploads with the same
    name apart; only the last part of the original name is used (no directories)."""
    name = PurePosixPath(artifact.original_name or "").name or f"evidence-{artifact.pk}"
    return f"evidence/{artifact.pk}-{name}"


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _artifact_data(artifact: Artifact) -> dict:
    return {
        "id": artifact.pk,
        "kind": artifact.kind,
        "file": artifact_archive_path(artifact) if artifact.kind == Artifact.Kind.FILE else None,
        "url": artifact.url or None,
        "original_name": artifact.original_name,
        "content_type": artifact.content_type,
        "size": artifact.size,
        "sha256": artifact.sha256,
        "proves": artifact.proves,
        "evidence_item": artifact.evidence_item,
        "uploaded_at": artifact.created_at.isoformat(),
        "removed_from_draft_at": _iso(artifact.detached_at),
    }


def _export(user: User, archive: ExportArchive) -> None:
    works = list(
        WeeklyWork.objects.filter(student=user)
        .select_related("cohort", "week", "deliverable")
        .order_by("cohort_id", "week__number", "deliverable_id")
    )
    revisions: dict[int, list[Revision]] = {}
    for revision in Revision.objects.filter(work__in=works).order_by("work_id", "number"):
        revisions.setdefault(revision.work_id, []).append(revision)
    frozen: dict[int, list[int]] = {}
    for link in RevisionArtifact.objects.filter(revision__work__in=works).order_by("revision_id", "artifact_id"):
        frozen.setdefault(link.revision_id, []).append(link.artifact_id)
    artifacts = list(Artifact.objects.filter(work__in=works).order_by("work_id", "created_at", "pk"))
    for artifact in artifacts:
        if artifact.kind == Artifact.Kind.FILE and artifact.file:
            archive.add_file(artifact_archive_path(artifact), artifact.file)
    by_work: dict[int, list[Artifact]] = {}
    for artifact in artifacts:
        by_work.setdefault(artifact.work_id, []).append(artifact)
    archive.add_json(
        "work.json",
        [
            {
                "id": work.pk,
                "cohort": work.cohort.name,
                "target": work.target_label,
                "state": work.state,
                "draft": work.content,
                "draft_saved_at": _iso(work.draft_saved_at),
                "published_at": _iso(work.published_at),
                "evidence": [_artifact_data(a) for a in by_work.get(work.pk, [])],
                "revisions": [
                    {
                        "number": r.number,
                        "submitted_at": r.submitted_at.isoformat(),
                        "due_at": r.due_at.isoformat(),
                        "is_late": r.is_late,
                        "note": r.note,
                        "content": r.content,
                        "evidence_ids": frozen.get(r.pk, []),
                    }
                    for r in revisions.get(work.pk, [])
                ],
            }
            for work in works
        ],
    )
    archive.add_json(
        "risk_log.json",
        [
            {
                "cohort": e.cohort.name,
                "kind": e.kind,
                "title": e.title,
                "description": e.description,
                "severity": e.severity,
                "status": e.status,
                "week_opened": e.week_opened.number,
                "week_closed": e.week_closed.number if e.week_closed_id else None,
                "resolution": e.resolution,
                "created_at": e.created_at.isoformat(),
            }
            for e in RiskEntry.objects.filter(student=user).select_related("cohort", "week_opened", "week_closed")
        ],
    )
    archive.add_json(
        "retrospectives.json",
        [
            {"cohort": r.cohort.name, "week": r.week.number, "retain": r.retain, "improve": r.improve, "scale": r.scale}
            for r in Retrospective.objects.filter(student=user).select_related("cohort", "week")
        ],
    )
    archive.add_json(
        "improve_items.json",
        [
            {
                "cohort": s.cohort.name,
                "week": s.week.number,
                "from_week": s.origin_week.number,
                "item": s.text,
                "status": s.status,
                "note": s.note,
                "updated_at": s.updated_at.isoformat(),
            }
            for s in ImproveItemStatus.objects.filter(student=user).select_related("cohort", "week", "origin_week")
        ],
    )


def _scrubbed_snapshot(content: dict) -> dict:
    """What an erased revision still says: which week or deliverable it was for (course
    text, not the person's), with every section empty."""
    kept = {key: content[key] for key in ("target", "is_capstone", "deliverable_title") if key in content}
    return {**empty_content(), **kept, "erased": True}


def _erase(erasure: Erasure) -> None:
    user = erasure.user
    works = list(WeeklyWork.objects.filter(student=user).only("pk"))
    work_ids = frozenset(w.pk for w in works)
    drafts = 0
    for work in WeeklyWork.objects.filter(pk__in=work_ids):
        work.content = {}
        work.save(update_fields=["content", "updated_at"])
        drafts += 1
    erasure.count("drafts emptied", drafts)
    with _erasure_rewrite(work_ids=work_ids):
        rewritten = 0
        for revision in Revision.objects.filter(work_id__in=work_ids):
            revision.content = _scrubbed_snapshot(revision.content or {})
            revision.note = ""
            revision.save(update_fields=["content", "note"])
            rewritten += 1
        erasure.count("revisions scrubbed", rewritten)
        # Previews show the files' content: they go with the files (rows and thumbnails).
        previews = 0
        for preview in EvidencePreview.objects.filter(artifact__work_id__in=work_ids):
            erasure.delete_file(preview.image)
            preview.delete()
            previews += 1
        erasure.count("evidence previews deleted", previews)
        files = links = 0
        for artifact in Artifact.objects.filter(work_id__in=work_ids, erased_at__isnull=True):
            if artifact.kind == Artifact.Kind.FILE:
                erasure.delete_file(artifact.file)
                files += 1
            else:
                links += 1
            artifact.file = ""
            artifact.url = ""
            artifact.original_name = ""
            artifact.proves = ERASED_TEXT
            artifact.erased_at = erasure.now
            artifact.save(update_fields=["file", "url", "original_name", "proves", "erased_at"])
        erasure.count("evidence files deleted", files)
        erasure.count("evidence links forgotten", links)
    erasure.count(
        "risk entries scrubbed",
        RiskEntry.objects.filter(student=user).update(title=ERASED_TEXT, description="", resolution=""),
    )
    retros = 0
    for retro in Retrospective.objects.filter(student=user):
        for name in ("retain", "improve", "scale"):
            if getattr(retro, name).strip():
                setattr(retro, name, ERASED_TEXT)
        retro.save(update_fields=["retain", "improve", "scale", "updated_at"])
        retros += 1
    erasure.count("retrospectives scrubbed", retros)
    # The status stays (the cohort report counts it); the item's words and the note go.
    erasure.count(
        "improve item statuses scrubbed",
        ImproveItemStatus.objects.filter(student=user).update(text=ERASED_TEXT, note=""),
    )


PROVIDER = DataProvider(
    label="Weekly work, evidence, risk log and retrospectives",
    models=(
        "submissions.WeeklyWork",
        "submissions.Revision",
        "submissions.Artifact",
        "submissions.RiskEntry",
        "submissions.Retrospective",
        "submissions.ImproveItemStatus",
    ),
    export=_export,
    erase=_erase,
)
