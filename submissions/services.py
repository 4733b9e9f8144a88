"""Every change to weekly work goes through these functions (pages, API, demo, and the
review and portfolio apps alike)."""

import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort, Membership
from cohorts.schedule import WeekWindow
from cohorts.selectors import due_window
from cohorts.services import cohort_grades_changed, cohort_works_changed
from core.queue import enqueue
from curriculum.models import CapstoneDeliverable, Objective, QualityGate, Week

from . import uploads
from .content import normalised
from .models import (
    IMPROVE_NOTE_MAX,
    Artifact,
    ImproveItemStatus,
    Retrospective,
    Revision,
    RevisionArtifact,
    RiskEntry,
    WeeklyWork,
)
from .policies import can_view_work
from .previews import evidence_preview_forget, evidence_preview_request
from .selectors import build_snapshot, improve_items_for_work, required_evidence


class DraftConflict(ValidationError):
    """The draft was saved elsewhere (another tab) since this copy was loaded."""


CONFLICT_MESSAGE = (
    "This draft was saved from another tab or window since you opened it, so this save was refused "
    "to avoid overwriting it. Your text is still here: copy what you need, reload the page, and merge."
)


def work_window(work: WeeklyWork) -> WeekWindow:
    """Open and due instants for the work, with the student's extension applied."""
    return due_window(cohort=work.cohort, student_id=work.student_id, number=work.due_week.number)


class NotAStudent(ValidationError):
    """Only students of a cohort have work in it (the API answers 403, the pages 404)."""


@transaction.atomic
def work_open(
    *, student: User, cohort: Cohort, week: Week | None = None, deliverable: CapstoneDeliverable | None = None
) -> tuple[WeeklyWork, bool]:
    """The student's work for a week or capstone deliverable, started (an empty draft) on
    first use; also says whether it was started now."""
    if (week is None) == (deliverable is None):
        raise ValidationError("A work is for exactly one week or one capstone deliverable.")
    if not Membership.objects.is_student(user=student, cohort=cohort):
        raise NotAStudent("Only students of this cohort have weekly work.", code="not_a_student")
    course_id = week.course_id if week else deliverable.project.course_id
    if course_id != cohort.course_id:
        raise ValidationError("That week belongs to another course.")
    work, created = WeeklyWork.objects.get_or_create(student=student, cohort=cohort, week=week, deliverable=deliverable)
    if created:  # the cell turns from "not started" to a draft
        cohort_grades_changed(cohort_id=cohort.pk)
    return work, created


def work_get_or_create(
    *, student: User, cohort: Cohort, week: Week | None = None, deliverable: CapstoneDeliverable | None = None
) -> WeeklyWork:
    """work_open for callers that do not care whether the work is new (pages, demo, tests)."""
    work, _ = work_open(student=student, cohort=cohort, week=week, deliverable=deliverable)
    return work


def _check_editable(work: WeeklyWork, by: User) -> None:
    if by.pk != work.student_id:
        raise ValidationError("Only the student can change their own work.")
    if not work.is_editable:
        raise ValidationError(
            f"This work is {work.get_state_display().lower()} and cannot be edited until changes are requested."
        )


@transaction.atomic
def work_save_draft(
    *,
    work: WeeklyWork,
    content: dict,
    expected_version: int,
    by: User,
    retrospective: dict | None = None,
) -> WeeklyWork:
    """Save the draft if nobody saved it since `expected_version` (compare-and-set), so two
    tabs cannot silently overwrite each other. Raises DraftConflict otherwise."""
    _check_editable(work, by)
    content = normalised(content)
    work.content = content
    work.full_clean(exclude=["student", "cohort", "week", "deliverable", "latest_revision"], validate_constraints=False)
    now = timezone.now()
    updated = WeeklyWork.objects.filter(
        pk=work.pk, draft_version=expected_version, state__in=WeeklyWork.EDITABLE_STATES
    ).update(content=content, draft_version=F("draft_version") + 1, draft_saved_at=now, updated_at=now)
    if updated != 1:
        raise DraftConflict(CONFLICT_MESSAGE, code="conflict")
    cohort_works_changed(cohort_id=work.cohort_id)  # the works list shows the draft's version and times
    work.draft_version = expected_version + 1
    work.draft_saved_at = now
    if retrospective is not None and work.week_id:
        retrospective_save(student=work.student, cohort=work.cohort, week=work.week, **retrospective)
    return work


@transaction.atomic
def retrospective_save(
    *, student: User, cohort: Cohort, week: Week, retain: str, improve: str, scale: str
) -> Retrospective:
    retro = Retrospective.objects.filter(student=student, cohort=cohort, week=week).first() or Retrospective(
        student=student, cohort=cohort, week=week
    )
    changed = retro.pk is None or (retro.retain, retro.improve, retro.scale) != (retain, improve, scale)
    retro.retain, retro.improve, retro.scale = retain, improve, scale
    retro.full_clean()
    retro.save()
    if changed:  # the at-risk rule reads retrospectives ("done" or not)
        cohort_grades_changed(cohort_id=cohort.pk, student_id=student.pk)
    return retro


class NoSuchImproveItem(ValidationError):
    """The key names no improve item shown in this work's week (pages and the API answer 404)."""


@transaction.atomic
def improve_item_set_status(*, work: WeeklyWork, key: str, status: str, note: str = "", by: User) -> ImproveItemStatus:
    """Record what became of one improve item shown in the work's week (done, carried forward
    to the next week, dropped), with an optional note. Only the student, and only while the
    week's work is open (draft or changes requested): once handed in, the mentor reviews the
    statuses as they were. Setting it again replaces the status and note."""
    _check_editable(work, by)
    item = next((i for i in improve_items_for_work(work) if i.key == key), None)
    if item is None:
        raise NoSuchImproveItem("No such improve item in this week.", code="not_found")
    if status not in ImproveItemStatus.Status.values:
        raise ValidationError({"status": ["Choose done, carried forward or dropped."]}, code="invalid")
    row = (
        ImproveItemStatus.objects.select_for_update()
        .filter(student_id=work.student_id, cohort_id=work.cohort_id, week_id=work.week_id, key=key)
        .first()
    ) or ImproveItemStatus(
        student_id=work.student_id,
        cohort_id=work.cohort_id,
        week_id=work.week_id,
        key=key,
        origin_week_id=item.origin_week_id,
        text=item.text,
    )
    note = note.strip()
    if len(note) > IMPROVE_NOTE_MAX:
        raise ValidationError({"note": [f"Keep the note under {IMPROVE_NOTE_MAX} characters."]}, code="max_length")
    row.status, row.note = status, note
    row.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # The same item was set from another tab between the read and the insert: that row
        # now exists (locked by nobody), so this status replaces it.
        row = ImproveItemStatus.objects.select_for_update().get(
            student_id=work.student_id, cohort_id=work.cohort_id, week_id=work.week_id, key=key
        )
        row.status, row.note = status, note
        row.save(update_fields=["status", "note", "updated_at"])
    return row


def _snapshot(work: WeeklyWork, artifacts: list[Artifact]) -> dict:
    week = work.due_week
    objectives = list(Objective.objects.filter(week=week, kind=Objective.Kind.OUTCOME))
    gates = list(QualityGate.objects.filter(lab__week=week)) if work.week_id else []
    retro = None
    risks: list[RiskEntry] = []
    if work.week_id:
        retro = Retrospective.objects.filter(student_id=work.student_id, cohort_id=work.cohort_id, week=week).first()
        risks = list(
            RiskEntry.objects.filter(student_id=work.student_id, cohort_id=work.cohort_id).select_related(
                "week_opened", "week_closed"
            )
        )
    return build_snapshot(work, objectives=objectives, gates=gates, retro=retro, risks=risks, artifacts=artifacts)


@transaction.atomic
def work_submit(
    *, work: WeeklyWork, by: User, expected_version: int | None = None, now: datetime.datetime | None = None
) -> Revision:
    """Freeze the whole work as the next numbered, immutable revision. Late work is marked
    late, or refused when the cohort's late policy says so."""
    # Lock the row so two submits cannot take the same number; the caller's object is
    # refreshed in place so it shows the new state afterwards.
    work.refresh_from_db(from_queryset=WeeklyWork.objects.select_for_update())
    _check_editable(work, by)
    if expected_version is not None and expected_version != work.draft_version:
        raise DraftConflict(CONFLICT_MESSAGE, code="conflict")
    now = now or timezone.now()
    window = work_window(work)
    is_late = window.is_late(now)
    if is_late and work.cohort.late_policy == Cohort.LatePolicy.REFUSE:
        raise ValidationError(
            f"The due date ({timezone.localtime(window.effective_due_at, window.due_at.tzinfo):%d %b %Y %H:%M %Z}) "
            "has passed and this cohort does not accept late work. Ask your instructor for an extension.",
            code="late_refused",
        )
    artifacts = list(work.artifacts.attached().order_by("created_at", "pk"))
    number = (work.revisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    content = _snapshot(work, artifacts)
    revision = Revision(
        work=work,
        number=number,
        content=content,
        note=content.get("revision_note", ""),
        submitted_at=now,
        due_at=window.effective_due_at,
        is_late=is_late,
        submitted_by=by,
    )
    revision.full_clean()
    revision.save()
    for artifact in artifacts:
        RevisionArtifact(revision=revision, artifact=artifact).save()
    work.state = WeeklyWork.State.SUBMITTED if number == 1 else WeeklyWork.State.RESUBMITTED
    work.latest_revision = revision
    work.save(update_fields=["state", "latest_revision", "updated_at"])
    cohort_grades_changed(cohort_id=work.cohort_id, student_id=work.student_id)
    # Peer reviewers are chosen in the background once this commits (named, not imported:
    # the review app builds on submissions, not the other way round).
    enqueue("rubrics.assign_peer_reviewers", revision.pk)
    # The open comment threads follow the work into the new revision (feedback app, above).
    enqueue("feedback.carry_threads", revision.pk)
    return revision


def _check_review(work: WeeklyWork, revision: Revision, by: User) -> None:
    work.refresh_from_db(from_queryset=WeeklyWork.objects.select_for_update(), fields=["state", "latest_revision"])
    if revision.work_id != work.pk or work.latest_revision_id != revision.pk:
        raise ValidationError("Only the latest revision can be reviewed.")
    if work.state not in WeeklyWork.AWAITING_REVIEW_STATES:
        raise ValidationError(f"This work is {work.get_state_display().lower()}, not awaiting review.")
    if by.pk == work.student_id or not can_view_work(by, work):
        raise ValidationError("Only the student's mentors and instructors can review this work.")


@transaction.atomic
def work_request_changes(*, work: WeeklyWork, revision: Revision, by: User) -> WeeklyWork:
    """Send the work back to the student; the draft opens again for editing."""
    _check_review(work, revision, by)
    work.state = WeeklyWork.State.CHANGES_REQUESTED
    work.save(update_fields=["state", "updated_at"])
    cohort_grades_changed(cohort_id=work.cohort_id)
    return work


@transaction.atomic
def work_accept(*, work: WeeklyWork, revision: Revision, by: User) -> WeeklyWork:
    _check_review(work, revision, by)
    work.state = WeeklyWork.State.ACCEPTED
    work.save(update_fields=["state", "updated_at"])
    cohort_grades_changed(cohort_id=work.cohort_id)
    return work


@transaction.atomic
def work_mark_published(*, work: WeeklyWork, at: datetime.datetime | None = None) -> WeeklyWork:
    """Called by the portfolio app when an accepted revision is published."""
    if work.state != WeeklyWork.State.ACCEPTED:
        raise ValidationError("Only accepted work can be published.")
    work.published_at = at or timezone.now()
    work.save(update_fields=["published_at", "updated_at"])
    cohort_grades_changed(cohort_id=work.cohort_id)
    return work


@transaction.atomic
def work_mark_unpublished(*, work: WeeklyWork) -> WeeklyWork:
    """Called by the portfolio app when the learner withdraws the published entry."""
    work.published_at = None
    work.save(update_fields=["published_at", "updated_at"])
    cohort_grades_changed(cohort_id=work.cohort_id)
    return work


def _check_evidence_item(work: WeeklyWork, evidence_item: str) -> None:
    if evidence_item and evidence_item not in required_evidence(work):
        raise ValidationError({"evidence_item": "Choose one of this week's required evidence items."})


@transaction.atomic
def artifact_upload(*, work: WeeklyWork, upload: File, proves: str, evidence_item: str = "", by: User) -> Artifact:
    _check_editable(work, by)
    _check_evidence_item(work, evidence_item)
    checked = uploads.check_upload(upload)
    stored_name = uploads.store_upload(upload, checked)
    artifact = Artifact(
        work=work,
        kind=Artifact.Kind.FILE,
        file=stored_name,
        original_name=(upload.name or "evidence")[-255:],
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        proves=proves,
        evidence_item=evidence_item,
        uploaded_by=by,
    )
    try:
        artifact.full_clean()
        artifact.save()
    except Exception:
        artifact.file.storage.delete(stored_name)
        raise
    evidence_preview_request(artifact=artifact)
    return artifact


@transaction.atomic
def artifact_add_link(*, work: WeeklyWork, url: str, proves: str, evidence_item: str = "", by: User) -> Artifact:
    _check_editable(work, by)
    _check_evidence_item(work, evidence_item)
    artifact = Artifact(
        work=work, kind=Artifact.Kind.LINK, url=url, proves=proves, evidence_item=evidence_item, uploaded_by=by
    )
    artifact.full_clean()
    artifact.save()
    return artifact


@transaction.atomic
def artifact_remove(*, artifact: Artifact, by: User) -> None:
    """Take an artifact out of the draft. One that a revision froze stays stored (it is only
    detached); one never submitted is deleted with its file."""
    _check_editable(artifact.work, by)
    if artifact.revision_links.exists():
        artifact.detached_at = timezone.now()
        artifact.save(update_fields=["detached_at"])
        return
    name = artifact.file.name if artifact.kind == Artifact.Kind.FILE else ""
    evidence_preview_forget(artifact=artifact)
    artifact.delete()
    if name:
        transaction.on_commit(lambda: artifact.file.storage.delete(name))


RISK_LOG_ADVICE = {
    "add": "Log new entries from the week you are working on now.",
    "close": "Close the entry from the week you are working on now; it is recorded as closed in that week.",
    "reopen": "The entry was closed in that week, and reopening it would rewrite that week's log.",
}


def risk_log_frozen_message(*, week: Week, state: str, change: str) -> str:
    """Why the log cannot change in `week`; `change` is "add", "close" or "reopen"."""
    until = " until changes are requested" if state in WeeklyWork.AWAITING_REVIEW_STATES else ""
    return (
        f"Week {week.number} is {WeeklyWork.State(state).label.lower()}, so its defect and risk log "
        f"stays as it was handed in{until}. {RISK_LOG_ADVICE[change]}"
    )


def _check_risk_log_open(*, student_id: int, cohort_id: int, week: Week, change: str) -> None:
    """A change to the defect and risk log is recorded in a week (opened in, closed in), so
    that week's work must still be editable (draft or changes requested): otherwise it would
    rewrite a week already handed in, and its trend, after the fact. A week not started yet
    counts as a draft. The row is locked so a submit cannot freeze it meanwhile."""
    state = (
        WeeklyWork.objects.select_for_update()
        .filter(student_id=student_id, cohort_id=cohort_id, week=week)
        .order_by()  # the default ordering joins other tables, which FOR UPDATE refuses on PostgreSQL
        .values_list("state", flat=True)
        .first()
    )
    if state is not None and state not in WeeklyWork.EDITABLE_STATES:
        raise ValidationError(risk_log_frozen_message(week=week, state=state, change=change), code="risk_log_frozen")


@transaction.atomic
def risk_entry_create(
    *,
    student: User,
    cohort: Cohort,
    week: Week,
    kind: str,
    title: str,
    severity: str,
    description: str = "",
) -> RiskEntry:
    """Log an entry opened in `week`, whose work must still be editable."""
    _check_risk_log_open(student_id=student.pk, cohort_id=cohort.pk, week=week, change="add")
    entry = RiskEntry(
        student=student,
        cohort=cohort,
        week_opened=week,
        kind=kind,
        title=title,
        severity=severity,
        description=description,
    )
    entry.full_clean()
    entry.save()
    cohort_grades_changed(cohort_id=cohort.pk, student_id=student.pk)  # the at-risk rule reads open high risks
    return entry


@transaction.atomic
def risk_entry_close(*, entry: RiskEntry, week: Week, resolution: str = "") -> RiskEntry:
    """Close an open entry in `week` (the week of the work it is closed from), whose work
    must still be editable: closing from a week already handed in would back-date it."""
    if entry.status == RiskEntry.Status.CLOSED:
        raise ValidationError("This entry is already closed.")
    if week.number < entry.week_opened.number:
        raise ValidationError("An entry cannot close before the week it was opened.")
    _check_risk_log_open(student_id=entry.student_id, cohort_id=entry.cohort_id, week=week, change="close")
    entry.status = RiskEntry.Status.CLOSED
    entry.week_closed = week
    entry.resolution = resolution
    entry.full_clean()
    entry.save(update_fields=["status", "week_closed", "resolution", "updated_at"])
    cohort_grades_changed(cohort_id=entry.cohort_id, student_id=entry.student_id)
    return entry


@transaction.atomic
def risk_entry_reopen(*, entry: RiskEntry) -> RiskEntry:
    """Undo a closure, while the week it was closed in is still editable."""
    if entry.status == RiskEntry.Status.OPEN:
        return entry
    _check_risk_log_open(
        student_id=entry.student_id, cohort_id=entry.cohort_id, week=entry.week_closed, change="reopen"
    )
    entry.status = RiskEntry.Status.OPEN
    entry.week_closed = None
    entry.full_clean()
    entry.save(update_fields=["status", "week_closed", "updated_at"])
    cohort_grades_changed(cohort_id=entry.cohort_id, student_id=entry.student_id)
    return entry
