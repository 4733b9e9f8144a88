"""Grade passback (LTI Assignment and Grade Services): when a mentor accepts a week or a
capstone deliverable of a cohort that an LMS course maps to, the assessment's weighted score
goes to the LMS line item of that week, in the background, exactly once per decision.

- `grade_sync_record` answers rubrics' `assessment_decided` signal inside the decision's
  transaction: one `GradeSync` row per accepting assessment (its unique key), and a task
  enqueued on commit. Nothing slow happens in the mentor's request.
- `grade_sync_send` (the task `lti.send_grade`) sends it. It claims the row in a short
  transaction of its own (status "sending", attempt counted), then holds the row's lock while
  it talks to the LMS, so a second delivery of the same task waits and then finds it sent.
  A worker killed mid-send leaves the row "sending": the next delivery cannot know whether
  the LMS got the score, so it reads the LMS's result first and sends only when the LMS does
  not hold this score already. Re-sending is harmless anyway (the same score with the same
  timestamp), but the LMS gets it once.
- The LMS down or answering 5xx/429: the row says "will retry" with the reason and the task
  retries with backoff (core.tasks), up to GRADE_SYNC_MAX_ATTEMPTS; then "failed". The LMS
  refusing (4xx): "failed" at once with its reason. An instructor may retry a failed one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.queue import enqueue
from rubrics.models import Assessment

from .. import advantage
from ..models import Context, GradeSync, LmsAccount, ResourceLink
from . import grades_panel_changed

SCORE_MAXIMUM = Decimal("100")
# By name: lti.tasks imports this module.
SEND_TASK = "lti.send_grade"


def max_attempts() -> int:
    return settings.LTI_GRADE_SYNC_MAX_ATTEMPTS


def resource_id_for(sync: GradeSync) -> str:
    """Our resourceId for the line item of a week or deliverable: stable, so the line item
    can be found again in the LMS."""
    if sync.work.week_id:
        return f"week-{sync.work.week.number}"
    return f"deliverable-{sync.work.deliverable_id}"


def _label_for(sync: GradeSync) -> str:
    work = sync.work
    if work.week_id:
        return f"Week {work.week.number}: {work.week.title}"[:255]
    return str(work.deliverable)[:255]


def _target_links(context: Context, work) -> list[ResourceLink]:
    links = ResourceLink.objects.filter(context=context)
    links = links.filter(week_id=work.week_id) if work.week_id else links.filter(deliverable_id=work.deliverable_id)
    # A link that already knows its line item first.
    return sorted(links, key=lambda link: (not link.line_item_url, link.pk))


def _resolve(sync: GradeSync) -> str:
    """Fill in the LMS user and the link; return the reason it cannot be sent, or ""."""
    sync.lms_account = (
        LmsAccount.objects.filter(platform_id=sync.context.platform_id, user_id=sync.student_id).order_by("-pk").first()
    )
    links = _target_links(sync.context, sync.work)
    sync.resource_link = links[0] if links else None
    if sync.resource_link and sync.resource_link.line_item_url:
        sync.line_item_url = sync.resource_link.line_item_url
    if sync.lms_account is None:
        return "The student has never opened the course from the LMS, so the LMS's id for them is unknown."
    if not sync.line_item_url and not sync.context.lineitems_url:
        return "The LMS announced no line items service for this course (AGS is off in its tool settings)."
    return ""


@transaction.atomic
def grade_sync_record(*, assessment: Assessment) -> GradeSync | None:
    """The score of an accepting mentor assessment, to be sent to the LMS course the cohort
    maps to; None when the cohort is not an LMS course or the decision is not an acceptance.
    Recording the same decision again returns the row it has."""
    if assessment.kind != Assessment.Kind.MENTOR or assessment.decision != Assessment.Decision.ACCEPT:
        return None
    work = assessment.revision.work
    context = Context.objects.select_related("platform").filter(cohort_id=work.cohort_id).first()
    if context is None:
        return None
    sync, created = GradeSync.objects.get_or_create(
        assessment=assessment,
        defaults={
            "context": context,
            "work": work,
            "student_id": work.student_id,
            "score_given": assessment.score,
            "score_maximum": SCORE_MAXIMUM,
            "timestamp": assessment.submitted_at,
        },
    )
    if not created:
        return sync
    problem = _resolve(sync)
    if problem:
        sync.status, sync.last_error = GradeSync.Status.FAILED, problem
    sync.full_clean()
    sync.save()
    grades_panel_changed(cohort_id=work.cohort_id)
    if not problem:
        enqueue(SEND_TASK, sync.pk)
    return sync


@dataclass
class _Outcome:
    status: str
    error: str = ""
    code: int | None = None


def _line_item(sync: GradeSync, client: advantage.AdvantageClient) -> str:
    if sync.line_item_url:
        return sync.line_item_url
    resource_id = resource_id_for(sync)
    item = advantage.lineitem_find(client, sync.context.lineitems_url, resource_id=resource_id)
    if item is None:
        wanted = {"label": _label_for(sync), "scoreMaximum": float(SCORE_MAXIMUM), "resourceId": resource_id}
        if sync.resource_link:
            wanted["resourceLinkId"] = sync.resource_link.resource_link_id
        item = advantage.lineitem_create(client, sync.context.lineitems_url, wanted)
    sync.line_item_url = item["id"]
    if sync.resource_link and not sync.resource_link.line_item_url:
        sync.resource_link.line_item_url = item["id"]
        sync.resource_link.save(update_fields=["line_item_url"])
    return sync.line_item_url


def _score_body(sync: GradeSync) -> dict:
    return {
        "userId": sync.lms_account.sub,
        "scoreGiven": float(sync.score_given),
        "scoreMaximum": float(sync.score_maximum),
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        # The decision's instant, not now: a re-send is the same score, and a later decision
        # (a newer timestamp) is never overwritten by an older one arriving late.
        "timestamp": sync.timestamp.isoformat(),
    }


def _already_there(client, line_item: str, sync: GradeSync) -> bool:
    try:
        result = advantage.result_of(client, line_item, user_id=sync.lms_account.sub)
    except advantage.LmsRefused:
        return False  # no results service (scope not granted): send, the LMS treats it as the same score
    if result is None or result.get("resultScore") is None:
        return False
    maximum = Decimal(str(result.get("resultMaximum") or 1))
    given = Decimal(str(result["resultScore"])) * SCORE_MAXIMUM / maximum
    return abs(given - sync.score_given) < Decimal("0.005")


def grade_sync_send(*, sync_id: int, now: datetime.datetime | None = None) -> GradeSync:
    """Send one recorded score (see the module docstring). Raises LmsUnavailable after
    recording "will retry", for the task to retry; returns the row otherwise."""
    with transaction.atomic():
        sync = GradeSync.objects.select_for_update().get(pk=sync_id)
        if sync.status in (GradeSync.Status.SENT, GradeSync.Status.FAILED):
            return sync
        uncertain = sync.status == GradeSync.Status.SENDING
        sync.status = GradeSync.Status.SENDING
        sync.save(update_fields=["status", "updated_at"])

    with transaction.atomic():
        sync = (
            GradeSync.objects.select_for_update(of=("self",))
            .select_related("context__platform", "lms_account", "resource_link", "work__week", "work__deliverable")
            .get(pk=sync_id)
        )
        if sync.status != GradeSync.Status.SENDING:  # another delivery finished it meanwhile
            return sync
        # Counted here, with the outcome: an attempt whose worker died is not counted (the
        # task machinery bounds those), the next one knows it by the "sending" left behind.
        sync.attempts += 1
        outcome = _send(sync, uncertain=uncertain)
        sync.status, sync.last_error, sync.last_status_code = outcome.status, outcome.error, outcome.code
        if outcome.status == GradeSync.Status.SENT:
            sync.sent_at = now or timezone.now()
        elif outcome.status == GradeSync.Status.RETRYING and sync.attempts >= max_attempts():
            sync.status = GradeSync.Status.FAILED
            sync.last_error = f"Gave up after {sync.attempts} attempts. {outcome.error}"
        sync.save(
            update_fields=[
                "status",
                "attempts",
                "last_error",
                "last_status_code",
                "sent_at",
                "line_item_url",
                "updated_at",
            ]
        )
        if sync.status != GradeSync.Status.RETRYING:  # the panel counts sent and failed apart
            grades_panel_changed(cohort_id=sync.context.cohort_id)
    if sync.status == GradeSync.Status.RETRYING:
        raise advantage.LmsUnavailable(sync.last_error, sync.last_status_code)
    return sync


def _send(sync: GradeSync, *, uncertain: bool) -> _Outcome:
    scopes = set(advantage.GRADE_SCOPES)
    if sync.context.ags_scopes:
        scopes &= set(sync.context.ags_scopes)
    client = advantage.AdvantageClient(sync.context.platform, scopes or advantage.GRADE_SCOPES)
    try:
        line_item = _line_item(sync, client)
        if uncertain and _already_there(client, line_item, sync):
            return _Outcome(GradeSync.Status.SENT)
        advantage.score_post(client, line_item, _score_body(sync))
    except advantage.LmsUnavailable as exc:
        return _Outcome(GradeSync.Status.RETRYING, str(exc), exc.status)
    except advantage.LmsRefused as exc:
        if exc.status == 404 and sync.line_item_url:
            # The line item was deleted in the LMS: forget it, so a retry finds or makes one.
            if sync.resource_link and sync.resource_link.line_item_url == sync.line_item_url:
                sync.resource_link.line_item_url = ""
                sync.resource_link.save(update_fields=["line_item_url"])
            sync.line_item_url = ""
        return _Outcome(GradeSync.Status.FAILED, str(exc), exc.status)
    return _Outcome(GradeSync.Status.SENT, "", None)


@transaction.atomic
def grade_sync_retry(*, sync: GradeSync, by: User) -> GradeSync:
    """Try a failed one again (after the student launched from the LMS, or the LMS was
    fixed): the LMS user and line item are looked up afresh."""
    sync = GradeSync.objects.select_for_update().select_related("context", "work").get(pk=sync.pk)
    if sync.status != GradeSync.Status.FAILED:
        raise ValidationError("Only a failed grade sync can be retried.")
    problem = _resolve(sync)
    sync.attempts = 0
    sync.last_status_code = None
    sync.status, sync.last_error = (GradeSync.Status.FAILED, problem) if problem else (GradeSync.Status.PENDING, "")
    sync.retried_by = by
    sync.save()
    if not problem:  # failed to waiting: the panel's counts move (still failed: they do not)
        grades_panel_changed(cohort_id=sync.context.cohort_id)
        enqueue(SEND_TASK, sync.pk)
    return sync
