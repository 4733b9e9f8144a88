"""What people are told when something is said about a piece of work, and where the link
leads: the words and links of the feedback notifications (the recording and the batching
are actions, in notifications.services).

Peer reviewers are never named here, whatever the cohort's anonymity setting: a notification
or an e-mail travels further than a page (forwarded, previewed on a lock screen), and the
page it links to applies the setting for the reader.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts.models import User
from reports.models import ReportRun
from rubrics.models import Assessment
from submissions.models import Revision, WeeklyWork

from .models import Kind
from .reminders import Reminder

EXCERPT = 160  # characters of a comment or of overall feedback quoted in a notification
LISTED = 20  # lines of a batch listed in the notification; the rest are counted
WHAT_WAS_ASKED = "asked-heading"  # the workspace's "What was asked" panel (rubrics.feedback_panels)


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """One line of `text`, cut at a word near `limit` characters."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def what(work: WeeklyWork) -> str:
    """“week 3” or “capstone deliverable “Load test plan””, for the middle of a sentence."""
    if work.week_id:
        return f"week {work.week.number}"
    return f"capstone deliverable “{excerpt(work.deliverable.title, 80)}”"


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def workspace_path(work: WeeklyWork, fragment: str = "") -> str:
    return reverse("submissions:work", kwargs={"pk": work.pk}) + (f"#{fragment}" if fragment else "")


def scoring_path(revision: Revision, fragment: str = "") -> str:
    return reverse("rubrics:score", kwargs={"pk": revision.pk}) + (f"#{fragment}" if fragment else "")


def feedback_path(revision: Revision, fragment: str = "") -> str:
    return reverse("rubrics:feedback", kwargs={"pk": revision.pk}) + (f"#{fragment}" if fragment else "")


def thread_fragment(thread_id: int) -> str:
    """The anchor the feedback app gives each thread on every page that shows it."""
    return f"thread-{thread_id}"


@dataclass(frozen=True)
class Told:
    """A feedback event already recorded for the recipient: one line and its exact place."""

    line: str
    url: str


def _and_comments(told: list[Told]) -> str:
    return f", and {plural(len(told), 'comment')}" if told else ""


def _threads(told: list[Told], heading: str) -> dict:
    """The context keys that list the events told, each with the link to its own thread (the
    e-mail links every line; the in-app message lists the lines under `heading`)."""
    if not told:
        return {"threads": []}
    return {
        "threads": [{"line": t.line, "url": t.url} for t in told[:LISTED]],
        "threads_heading": heading,
        "threads_more": max(0, len(told) - LISTED),
    }


def decision_reminder(assessment: Assessment, work: WeeklyWork, told: list[Told]) -> Reminder:
    """To the student: the mentor's decision on a revision, with the comments made for it."""
    revision = assessment.revision
    student = work.student
    mentor = assessment.scorer.display_name
    accepted = assessment.decision == Assessment.Decision.ACCEPT
    and_comments = _and_comments(told)
    if accepted:
        kind = Kind.ACCEPTED
        title = f"{_sentence_start(what(work))} accepted{and_comments}"
        body = f"{mentor} accepted revision {revision.number} of your {what(work)}."
        heading = "Overall feedback"
    else:
        kind = Kind.CHANGES_REQUESTED
        title = f"Changes requested on {what(work)}{and_comments}"
        body = f"{mentor} reviewed revision {revision.number} of your {what(work)} and asked for changes."
        heading = "What was asked"
    sections = [{"heading": heading, "items": [excerpt(assessment.feedback, 600)]}] if assessment.feedback else []
    return Reminder(
        recipient=student,
        kind=kind,
        subject_key=f"revision:{revision.pk}",
        period_key="decision",
        title=excerpt(title, 200),
        body=body,
        # Changes requested: the workspace shows what was asked at the top (the panel headed
        # #asked-heading) and each thread beside its section; accepted: the same workspace,
        # where the student goes on to publish.
        url=workspace_path(work, "" if accepted else WHAT_WAS_ASKED),
        context={
            "sections": sections,
            **_threads(told, f"Comments on your work ({len(told)})"),
            "work": what(work),
            "revision": revision.number,
        },
    )


def peer_review_reminder(assessment: Assessment, work: WeeklyWork, told: list[Told]) -> Reminder:
    """To the student: a peer reviewed their revision (never who), with the peer's comments."""
    revision = assessment.revision
    return Reminder(
        recipient=work.student,
        kind=Kind.PEER_REVIEW_RECEIVED,
        subject_key=f"assessment:{assessment.pk}",
        period_key="peer-review",
        title=excerpt(f"A peer reviewed {what(work)}{_and_comments(told)}", 200),
        body=f"A peer reviewer scored revision {revision.number} of your {what(work)} with the rubric.",
        url=feedback_path(revision),
        context={
            **_threads(told, f"Comments on your work ({len(told)})"),
            "work": what(work),
            "revision": revision.number,
        },
    )


# What a batch of waiting events is called, by kind: (one, several).
_BATCH_TITLES = {
    Kind.COMMENT_ON_WORK: ("A new comment on your work", "{n} new comments on your work"),
    Kind.COMMENT_REPLY: ("A reply to your comment", "{n} replies to your comments"),
    Kind.THREAD_ADDRESSED: ("A comment thread was marked addressed", "{n} comment threads were marked addressed"),
}


def batch_reminder(recipient: User, kind: str, first_event_id: int, told: list[Told]) -> Reminder:
    """Everything of one kind waiting for one person, told at once. The key names the batch's
    first event: each event belongs to one batch, so the batch is told once."""
    one, several = _BATCH_TITLES[kind]
    title = one if len(told) == 1 else several.format(n=len(told))
    return Reminder(
        recipient=recipient,
        kind=kind,
        subject_key=f"feedback:{kind}",
        period_key=f"from-event:{first_event_id}",
        title=title,
        body=told[0].line if len(told) == 1 else "",
        url=told[0].url,
        context=_threads(told, title) if len(told) > 1 else {"threads": []},
    )


def report_ready_reminder(run: ReportRun) -> Reminder:
    return Reminder(
        recipient=run.requested_by,
        kind=Kind.REPORT_READY,
        subject_key=f"report:{run.pk}",
        period_key="ready",
        title=excerpt(f"Your {run.get_kind_display().lower()} for {run.cohort.name} is ready", 200),
        body=f"The {run.get_format_display()} file can be downloaded now.",
        url=reverse("reports:detail", kwargs={"pk": run.pk}),
        context={"cohort": run.cohort.name},
    )


def peer_review_path(assignment_id: int, fragment: str = "") -> str:
    return reverse("rubrics:peer_review", kwargs={"pk": assignment_id}) + (f"#{fragment}" if fragment else "")


def comment_line(*, shown_author: str, replied: bool, section_title: str, body: str, own_work: bool) -> str:
    """“Sam Mentor commented on your concept analysis: “The p95 is…”” (the student), or
    “Peer reviewer 1 replied in “Concept analysis”: “…”” (someone in the thread)."""
    verb = "replied" if replied else "commented"
    where = f"on your {section_title.lower()}" if own_work else f"in “{section_title}”"
    return f"{shown_author} {verb} {where}: “{excerpt(body, 120)}”"


def addressed_line(*, shown_student: str, section_title: str, what_work: str, note: str) -> str:
    line = f"{shown_student} marked a thread on the {section_title.lower()} of {what_work} addressed"
    return f"{line}: “{excerpt(note, 120)}”" if note else f"{line}."
