"""Comment threads on submitted revisions, anchored to what they talk about.

A `Thread` is opened on one revision of a work by a mentor, an instructor or an assigned
peer, about a quote in a section, a whole section, or one evidence item. It has one
`Anchor` per revision it has been seen on: when the student submits the next revision, an
open thread is carried there (feedback.anchors re-anchors the quote with the revision diff;
text that changed or went away leaves the anchor "outdated" with the old quote kept).
`Comment`s are the thread's messages, oldest first; the first is the thread's opening.
"""

from django.conf import settings
from django.db import models

from rubrics.models import PeerAssignment
from submissions.models import Artifact, Revision, WeeklyWork

# The places of a work a thread can be about: the section keys of the panel slots.
SECTION_TITLES = {
    "deliverable": "Deliverable",
    "concept": "Concept analysis",
    "lab": "Lab report",
    "decision": "Decision record",
    "dossier": "Implementation dossier",
    "evidence": "Evidence",
    "risks": "Defect and risk log",
    "retrospective": "Retrospective",
    "note": "Revision note",
}
SECTION_CHOICES = list(SECTION_TITLES.items())


class ThreadQuerySet(models.QuerySet):
    def unresolved(self) -> "ThreadQuerySet":
        return self.exclude(status=Thread.Status.RESOLVED)

    def by_reviewer_on(self, *, author, revision: Revision) -> "ThreadQuerySet":
        """The threads one reviewer opened on one revision (the per-reviewer limit counts these)."""
        return self.filter(author=author, revision=revision)


class Thread(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ADDRESSED = "addressed", "Addressed"
        RESOLVED = "resolved", "Resolved"

    class Target(models.TextChoices):
        QUOTE = "quote", "Selected text"
        SECTION = "section", "Whole section"
        EVIDENCE = "evidence", "Evidence item"

    work = models.ForeignKey(WeeklyWork, on_delete=models.PROTECT, related_name="threads")
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="opened_threads", help_text="Where the thread was opened."
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_threads")
    # A peer's thread follows the anonymity of their review; the number names them
    # ("Peer reviewer 2") where their name may not be shown. A withdrawn assignment leaves
    # the thread anonymous.
    by_peer = models.BooleanField(default=False)
    peer_assignment = models.ForeignKey(
        PeerAssignment, on_delete=models.SET_NULL, null=True, blank=True, related_name="threads"
    )
    peer_number = models.PositiveSmallIntegerField(default=0)
    section = models.CharField(max_length=20, choices=SECTION_CHOICES)
    target = models.CharField(max_length=10, choices=Target.choices, default=Target.SECTION)
    artifact = models.ForeignKey(Artifact, on_delete=models.PROTECT, null=True, blank=True, related_name="threads")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    addressed_note = models.TextField(blank=True)
    addressed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    addressed_at = models.DateTimeField(null=True, blank=True)
    addressed_in = models.ForeignKey(
        Revision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="addressed_threads",
        help_text="The revision the student submitted after marking the thread addressed.",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["work", "pk"]
        indexes = [models.Index(fields=["revision", "author"], name="thread_revision_author")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(target="evidence") | models.Q(artifact__isnull=False),
                name="thread_evidence_has_artifact",
            ),
        ]

    def __str__(self) -> str:
        return f"Thread {self.pk} on {self.work_id} ({self.status})"

    @property
    def section_title(self) -> str:
        return SECTION_TITLES.get(self.section, self.section)


class Anchor(models.Model):
    """Where a thread points in one revision: a quote with context and offsets into the
    stored markdown source of one field of a section, or the whole section, or an evidence
    item."""

    class State(models.TextChoices):
        ANCHORED = "anchored", "Anchored"
        MOVED = "moved", "Moved"
        OUTDATED = "outdated", "Outdated: the text changed"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="anchors")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="thread_anchors")
    field = models.CharField(max_length=40, blank=True, help_text="The content path of the quoted source.")
    quote = models.TextField(blank=True, help_text="The quoted source text (kept as it was when outdated).")
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ANCHORED)
    current_text = models.TextField(
        blank=True, help_text="When outdated: what stands in the new revision where the quote was."
    )

    class Meta:
        ordering = ["thread", "revision__number"]
        constraints = [
            models.UniqueConstraint(fields=["thread", "revision"], name="anchor_one_per_thread_revision"),
            models.CheckConstraint(
                condition=models.Q(start__isnull=True) | models.Q(end__gte=models.F("start")),
                name="anchor_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["revision", "thread"], name="anchor_revision_thread")]

    def __str__(self) -> str:
        return f"Anchor of thread {self.thread_id} in revision {self.revision_id}"

    @property
    def is_outdated(self) -> bool:
        return self.state == self.State.OUTDATED


class Comment(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_comments")
    body = models.TextField(help_text="Markdown; rendered through core.markdown.")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["thread", "created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment {self.pk} in thread {self.thread_id}"

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None
