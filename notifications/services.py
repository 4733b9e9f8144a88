"""Actions: the reminder sweep, delivering reminders (e-mail and in-app), sending one
notification from another app, preferences, unsubscribing and marking read.

Exactly once: a reminder is a `ReminderLog` row, unique per (recipient, kind, subject,
period). The sweep inserts candidate rows ignoring conflicts (only one of any number of
concurrent sweeps can create a row), then claims pending rows with one conditional
UPDATE (a row is claimed by exactly one sweep), delivers them, and marks them sent. A
sweep that dies after claiming leaves rows "sending"; after REMINDER_CLAIM_EXPIRY the next
sweep claims them again, so a crash delays a reminder but never loses it. E-mails are
claimed, sent and marked sent one at a time (a person's reminders of one sweep are one
e-mail, their rows claimed and marked together), so a crash in the middle of a batch can send
again only the one e-mail handed to the SMTP server at that instant (at most one duplicate
per crash; SMTP cannot do better). The in-app notification is unique per log row, so a
retried delivery never shows it twice.
"""

import datetime
import logging
import secrets
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import IntegrityError, connections, transaction
from django.db.models import BooleanField, Case, F, Q, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from cohorts.models import MentorAssignment
from core.bulk import insert_ignoring_conflicts
from core.queue import enqueue
from feedback.models import Comment, Thread
from feedback.selectors import comment_author_shown_to
from reports.models import ReportRun
from rubrics.models import Assessment
from rubrics.policies import can_score_as_mentor
from submissions.models import WeeklyWork

from . import feedback
from .emails import reminder_email, reminders_email
from .models import FeedbackEvent, Kind, Notification, NotificationPreference, ReminderLog
from .reminders import Reminder, Sweep, registered_kinds

logger = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 5
DELIVERY_BATCH = 500


def claim_expiry() -> datetime.timedelta:
    """How long a claimed row is left to the sweep that claimed it before another takes it."""
    return datetime.timedelta(seconds=settings.REMINDER_CLAIM_EXPIRY)


@dataclass(frozen=True)
class SweepResult:
    found: int
    delivered: int
    failed: int


def preferences_for(user_ids: set[int]) -> dict[tuple[int, str], tuple[bool, bool]]:
    """(user id, kind) → (e-mail on, in-app on) for the rows that exist (one query)."""
    rows = NotificationPreference.objects.filter(user_id__in=user_ids).values_list("user_id", "kind", "email", "in_app")
    return {(user_id, kind): (email, in_app) for user_id, kind, email, in_app in rows}


def reminders_record(*, reminders: list[Reminder]) -> None:
    """Insert the log rows; rows that exist already (sent or pending) are left alone. Column by
    column (core.bulk): a sweep records 38,000 rows at 3,698 students, and an instance per row
    through bulk_create cost about 3 s of its CPU."""
    insert_ignoring_conflicts(
        ReminderLog,
        rows={
            "recipient_id": [reminder.recipient.pk for reminder in reminders],
            "kind": [reminder.kind for reminder in reminders],
            "subject_key": [reminder.subject_key for reminder in reminders],
            "period_key": [reminder.period_key for reminder in reminders],
            "title": [reminder.title[:200] for reminder in reminders],
            "body": [reminder.body for reminder in reminders],
            "url": [reminder.url for reminder in reminders],
            "context": [reminder.context for reminder in reminders],
        },
        batch_size=DELIVERY_BATCH,
    )


def _in_app_body(log: ReminderLog) -> str:
    """The message followed by its sections (a digest's objectives, what is missing)."""
    parts = [log.body]
    for section in log.context.get("sections", []):
        parts.append(f"{section['heading']}:\n" + "\n".join(f"• {item}" for item in section["items"]))
    threads = log.context.get("threads")
    if threads and log.context.get("threads_heading"):
        lines = [f"• {thread['line']}" for thread in threads]
        if log.context.get("threads_more"):
            lines.append(f"• and {log.context['threads_more']} more")
        parts.append(f"{log.context['threads_heading']}:\n" + "\n".join(lines))
    return "\n\n".join(part for part in parts if part)


def reminders_deliver(
    *, now: datetime.datetime | None = None, log_ids: list[int] | None = None, send_email: bool = True
) -> tuple[int, int]:
    """Claim waiting reminders (or only `log_ids`), deliver them, mark them sent. Returns
    (delivered, failed). The demo passes send_email=False: its addresses are not real."""
    now = now or timezone.now()
    delivered = failed = 0
    after = _START
    while True:
        batch = _deliver_batch(now=now, log_ids=log_ids, send_email=send_email, after=after)
        delivered += batch.delivered
        failed += batch.failed
        after = batch.last_key
        if not batch.full:
            return delivered, failed


_START = (0, 0)  # a (recipient id, log id) below every row's


@dataclass(frozen=True)
class _Batch:
    full: bool  # DELIVERY_BATCH waiting rows were read: more may follow
    last_key: tuple[int, int]  # (recipient id, log id) where the next batch of the same delivery starts
    delivered: int
    failed: int


def _batch_rows(rows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The waiting (recipient id, log id) rows read for a batch, less the last recipient's
    when the batch is full: that person may have more rows waiting, and all of them are to
    go out in one e-mail, so they start the next batch. A single person with more rows than
    a batch holds gets them in several batches (and e-mails)."""
    if len(rows) < DELIVERY_BATCH or rows[0][0] == rows[-1][0]:
        return rows
    last_recipient = rows[-1][0]
    return [row for row in rows if row[0] != last_recipient]


# What delivering a log row reads: the in-app notification, the e-mail (emails.py: the recipient's
# display name and address), the claim and the attempts of a failed e-mail.
_DELIVERY_FIELDS = (
    *("id", "recipient_id", "kind", "title", "body", "url", "context", "claim_token", "emailed", "attempts"),
    *("recipient__id", "recipient__email", "recipient__name", "recipient__is_active"),
)


def _deliver_batch(
    *, now: datetime.datetime, log_ids: list[int] | None, send_email: bool, after: tuple[int, int]
) -> _Batch:
    """One batch of up to DELIVERY_BATCH waiting rows whose (recipient id, log id) is above
    `after`, every waiting row of a recipient in the same batch.

    The waiting rows are read through a partial index that holds only them, (recipient id,
    log id), in that order from `after`: the log keeps every reminder ever sent (a scan of it
    per batch made a sweep quadratic), a key range needs no statistics to be planned well
    (the sweep inserts a whole log's worth of rows before it delivers, and no ANALYZE sees
    them inside its transaction), and a person's reminders arrive together, so that they go
    out in one e-mail. In-app notifications are created for the whole batch at once (a fixed
    number of queries). E-mails are then claimed, sent and marked one recipient at a time, so
    a crash in the middle of a batch leaves every e-mail sent before it marked sent, every
    one after it waiting for the next sweep, and at most the one handed to the SMTP server at
    that instant claimed but unmarked (sent again once its claim expires: the only duplicate
    SMTP allows)."""
    token = secrets.token_hex(16)
    claimable = Q(status__in=ReminderLog.WAITING) & (
        Q(status=ReminderLog.Status.PENDING) | Q(status=ReminderLog.Status.SENDING, claimed_at__lt=now - claim_expiry())
    )
    # A row comparison, so that PostgreSQL walks the index from `after` (an OR of two
    # conditions would read every waiting row and sort them, in every batch).
    beyond = RawSQL('("recipient_id", "id") > (%s, %s)', after, output_field=BooleanField())
    waiting = ReminderLog.objects.filter(claimable).filter(beyond)
    if log_ids is not None:
        waiting = waiting.filter(pk__in=log_ids)
    read = list(waiting.order_by("recipient_id", "pk").values_list("recipient_id", "pk")[:DELIVERY_BATCH])
    if not read:
        return _Batch(full=False, last_key=after, delivered=0, failed=0)
    rows = _batch_rows(read)
    full, last_key = len(read) == DELIVERY_BATCH, rows[-1]
    candidates = [pk for _, pk in rows]
    # The condition is checked again by the UPDATE: of two sweeps that read the same rows, the
    # second finds them claimed once the first commits and leaves them.
    ReminderLog.objects.filter(claimable, pk__in=candidates).update(
        status=ReminderLog.Status.SENDING, claim_token=token, claimed_at=now
    )
    # By primary key alone, the claim checked here: with the token in the WHERE clause, a
    # planner whose statistics still saw a small log walked the whole recipient index instead
    # (0.6 s a batch at 38,000 rows). Only the columns delivery reads (_DELIVERY_FIELDS): not the
    # log's and the recipient's dates and the password hash, for each of a sweep's 38,000 rows.
    logs = [
        log
        for log in ReminderLog.objects.filter(pk__in=candidates)
        .select_related("recipient")
        .only(*_DELIVERY_FIELDS)
        .order_by("recipient_id", "pk")
        if log.claim_token == token
    ]
    if not logs:
        return _Batch(full=full, last_key=last_key, delivered=0, failed=0)
    preferences = preferences_for({log.recipient_id for log in logs})

    in_app = []
    emails = []
    for log in logs:
        email_on, in_app_on = preferences.get((log.recipient_id, log.kind), (True, True))
        if in_app_on:
            in_app.append(log)
        if send_email and email_on and not log.emailed and log.recipient.email and log.recipient.is_active:
            emails.append(log)
    # Column by column (core.bulk), one statement for the batch, no instance per notification.
    insert_ignoring_conflicts(
        Notification,
        rows={
            "recipient_id": [log.recipient_id for log in in_app],
            "kind": [log.kind for log in in_app],
            "title": [log.title for log in in_app],
            "body": [_in_app_body(log) for log in in_app],
            "url": [log.url for log in in_app],
            "reminder_id": [log.pk for log in in_app],
        },
        batch_size=DELIVERY_BATCH,
    )

    email_ids = {log.pk for log in emails}
    without_email = [log.pk for log in logs if log.pk not in email_ids]
    if without_email:
        ReminderLog.objects.filter(pk__in=without_email, claim_token=token).update(
            status=ReminderLog.Status.SENT, sent_at=now, claim_token=""
        )
    delivered = len(without_email)
    failed = 0
    if emails:
        # E-mail rows go back to waiting and are claimed again one e-mail at a time just before
        # it is sent: a crash then strands at most one e-mail for CLAIM_EXPIRY, not the rest
        # of the batch.
        ReminderLog.objects.filter(pk__in=email_ids, claim_token=token).update(
            status=ReminderLog.Status.PENDING, claim_token=""
        )
        sent, failed = _send_emails(_email_groups(emails), now=now, token=token)
        delivered += sent
    return _Batch(full=full, last_key=last_key, delivered=delivered, failed=failed)


def _email_groups(emails: list[ReminderLog]) -> list[list[ReminderLog]]:
    """The batch's e-mails: a person's sweep reminders together in one message (as Canvas and
    Moodle gather a person's due reminders: ten reminders are one e-mail, not ten); every
    other notification (feedback, a report ready) alone, with its own template. `emails` is
    in recipient order."""
    gathered = {reminder_kind.kind for reminder_kind in registered_kinds()}
    groups: list[list[ReminderLog]] = []
    reminders_of: dict[int, list[ReminderLog]] = {}
    for log in emails:
        if log.kind not in gathered:
            groups.append([log])
        elif log.recipient_id in reminders_of:
            reminders_of[log.recipient_id].append(log)
        else:
            reminders_of[log.recipient_id] = [log]
            groups.append(reminders_of[log.recipient_id])
    return groups


def _mark_and_claim_sql(sent: int, claim: int) -> str:
    """One statement per e-mail: it marks the rows of the e-mail just sent (when their claim is
    still ours) and claims the rows of the next (those still waiting), so the next e-mail goes
    out only once the last is recorded. One round trip per e-mail instead of two, and no ORM
    query to compile: at 400,000 e-mails a sweep spent most of its time on these round trips.
    Plain SQL that SQLite runs too (a list of placeholders, not PostgreSQL's ANY). The
    parameters are named, so that each id is passed once however often the statement names
    it: with every id repeated (7 times for the e-mail just sent), a gathered e-mail's statement
    had more parameters than psycopg caches the parsing of (50): converting it cost 0.30 ms of
    CPU, now 0.08 ms (10 + 10 ids, psycopg's mogrify)."""
    just_sent = "id IN (" + ", ".join(f"%(sent{i})s" for i in range(sent)) + ")" if sent else "FALSE"
    to_claim = "id IN (" + ", ".join(f"%(claim{i})s" for i in range(claim)) + ")" if claim else "FALSE"
    return f"""
UPDATE {ReminderLog._meta.db_table} SET
    status = CASE WHEN {just_sent} THEN 'sent' ELSE 'sending' END,
    emailed = CASE WHEN {just_sent} THEN %(emailed)s ELSE emailed END,
    sent_at = CASE WHEN {just_sent} THEN %(now)s ELSE sent_at END,
    claim_token = CASE WHEN {just_sent} THEN '' ELSE %(token)s END,
    claimed_at = CASE WHEN {just_sent} THEN claimed_at ELSE %(now)s END
WHERE ({just_sent} AND claim_token = %(token)s) OR ({to_claim} AND status = 'pending' AND emailed = %(waiting)s)
RETURNING id
"""


def _mark_and_claim(cursor, *, sent: list[int], claim: list[int], now, token: str) -> set[int]:
    """Mark the rows `sent` sent and claim the rows `claim`; those of `claim` now ours."""
    parameters = {"emailed": True, "now": now, "token": token, "waiting": False}
    parameters.update((f"sent{i}", pk) for i, pk in enumerate(sent))
    parameters.update((f"claim{i}", pk) for i, pk in enumerate(claim))
    cursor.execute(_mark_and_claim_sql(len(sent), len(claim)), parameters)
    claimed = set(claim)
    return {row[0] for row in cursor.fetchall() if row[0] in claimed}


def _send_emails(groups: list[list[ReminderLog]], *, now: datetime.datetime, token: str) -> tuple[int, int]:
    """Send each group as one e-mail; (rows delivered, rows failed)."""
    delivered = failed = 0
    connection = get_connection()
    try:
        connection.open()
    except Exception as exc:  # noqa: BLE001 - the mail server is away: every e-mail waits for a later sweep
        for group in groups:
            _email_failed(group, token=token, error=exc, claimed=False)
        return 0, sum(len(group) for group in groups)
    database = connections[ReminderLog.objects.db]
    moment = database.ops.adapt_datetimefield_value(now)
    sent: list[int] = []  # the rows of the e-mail handed to the SMTP server and not marked yet
    try:
        with database.cursor() as cursor:
            try:
                for group in groups:
                    claimed = _mark_and_claim(
                        cursor, sent=sent, claim=[log.pk for log in group], now=moment, token=token
                    )
                    delivered += len(sent)
                    sent = []
                    ours = [log for log in group if log.pk in claimed]
                    if not ours:
                        continue  # another sweep took them meanwhile
                    try:
                        connection.send_messages([reminder_email(ours[0]) if len(ours) == 1 else reminders_email(ours)])
                    except SoftTimeLimitExceeded:
                        raise  # the task is out of time: stop here, the rest waits for the next sweep
                    except Exception as exc:  # noqa: BLE001 - one bad address must not stop the others
                        _email_failed(ours, token=token, error=exc, claimed=True)
                        failed += len(ours)
                        continue
                    sent = [log.pk for log in ours]
            finally:
                if sent:
                    _mark_and_claim(cursor, sent=sent, claim=[], now=moment, token=token)
                    delivered += len(sent)
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - the e-mails are marked already; a close that fails loses nothing
            logger.warning("Closing the mail connection failed", exc_info=True)
    if failed:
        logger.warning("%d reminder e-mail row(s) failed; they will be retried", failed)
    return delivered, failed


def _email_failed(logs: list[ReminderLog], *, token: str, error: Exception, claimed: bool) -> None:
    """Leave the rows of a failed e-mail waiting for a later sweep, or give up on each after
    MAX_DELIVERY_ATTEMPTS."""
    for log in logs:
        rows = ReminderLog.objects.filter(pk=log.pk)
        rows = rows.filter(claim_token=token) if claimed else rows.filter(status=ReminderLog.Status.PENDING)
        given_up = log.attempts + 1 >= MAX_DELIVERY_ATTEMPTS
        rows.update(
            status=ReminderLog.Status.FAILED if given_up else ReminderLog.Status.PENDING,
            attempts=F("attempts") + 1,
            last_error=f"{error.__class__.__name__}: {error}"[:500],
            claim_token="",
        )


def reminders_sweep(
    *, now: datetime.datetime | None = None, kinds: list[str] | None = None, send_email: bool = True
) -> SweepResult:
    """Find every reminder due now, record it once, and deliver what is waiting. Students are
    read a batch at a time (REMINDERS_SWEEP_BATCH, notifications.reminders.Sweep) with a fixed
    number of queries per batch, and each batch's reminders are recorded before the next is
    read, so memory follows the batch size, not the number of students."""
    now = now or timezone.now()
    found = _reminders_find_and_record(now=now, kinds=kinds)
    delivered, failed = reminders_deliver(now=now, send_email=send_email)
    return SweepResult(found=found, delivered=delivered, failed=failed)


def _reminders_find_and_record(*, now: datetime.datetime, kinds: list[str] | None) -> int:
    """The sweep's finding and recording; how many reminders were found. A function of its
    own so that the sweep's state (the mentors' digests gather a line for every student) is
    freed before delivery starts instead of staying alive in the caller's frame."""
    finders = [k for k in registered_kinds() if kinds is None or k.kind in kinds]
    found = 0
    for data in Sweep(now).batches():
        reminders = [reminder for reminder_kind in finders for reminder in reminder_kind.find(data)]
        reminders_record(reminders=reminders)
        found += len(reminders)
    _log_statistics_refresh(recorded=found)
    return found


def _log_statistics_refresh(*, recorded: int) -> None:
    """ANALYZE the reminder log when this sweep may have recorded more rows than the planner
    believes it holds (PostgreSQL). A sweep inside one transaction (the bench's, rolled back)
    or the first large sweep of a young log leaves statistics that see a handful of rows, and
    with them the delivery's loads by primary key walked the whole recipient index (0.7 s a
    batch; 0.02 s for each e-mail's mark-and-claim) instead of the primary key (2 ms, 0.5 ms).
    A log already larger than one sweep's reminders is left to autovacuum: one query."""
    if recorded == 0 or connections[ReminderLog.objects.db].vendor != "postgresql":
        return
    with connections[ReminderLog.objects.db].cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [ReminderLog._meta.db_table])
        (estimate,) = cursor.fetchone()
        if estimate < recorded:
            cursor.execute(f'ANALYZE "{ReminderLog._meta.db_table}"')


def notification_send(
    *,
    recipient: User,
    kind: str,
    subject_key: str,
    period_key: str,
    title: str,
    body: str = "",
    url: str = "",
    context: dict | None = None,
) -> ReminderLog:
    """Tell one person something once (e.g. "your report is ready"); sending again with the
    same subject and period does nothing. Respects the person's preferences for `kind`."""
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Unknown notification kind {kind!r}."})
    reminder = Reminder(
        recipient=recipient,
        kind=kind,
        subject_key=subject_key,
        period_key=period_key,
        title=title,
        body=body,
        url=url,
        context=context or {},
    )
    reminders_record(reminders=[reminder])
    log = ReminderLog.objects.get(recipient=recipient, kind=kind, subject_key=subject_key, period_key=period_key)
    if log.status == ReminderLog.Status.PENDING:
        reminders_deliver(log_ids=[log.pk])
        log.refresh_from_db()
    return log


@transaction.atomic
def preference_set(*, user: User, kind: str, email: bool, in_app: bool) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user, kind=kind)
    preference.email = email
    preference.in_app = in_app
    preference.full_clean()
    preference.save(update_fields=["email", "in_app", "updated_at"])
    return preference


@transaction.atomic
def preferences_update(*, user: User, choices: dict[str, tuple[bool, bool]]) -> None:
    """Set (e-mail, in-app) for each kind given."""
    for kind, (email, in_app) in choices.items():
        preference_set(user=user, kind=kind, email=email, in_app=in_app)


@transaction.atomic
def email_unsubscribe(*, user: User, kinds: tuple[str, ...]) -> list[NotificationPreference]:
    """Stop e-mails of these kinds (one, or those of one gathered reminders e-mail); the
    in-app notifications stay as they were."""
    preferences = []
    for kind in kinds:
        preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user, kind=kind)
        preference.email = False
        preference.save(update_fields=["email", "updated_at"])
        preferences.append(preference)
    return preferences


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.for_user(user).unread().update(read_at=timezone.now())


def check_email_send(*, user_id: int, requested_at: str) -> ReminderLog | None:
    """The "send me a test e-mail" button: one message per press, however often the task runs.
    The e-mail goes out even when the person turned e-mail for account messages off: they
    asked for this one, and it is how they check that mail reaches them at all."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    log = notification_send(
        recipient=user,
        kind=Kind.SYSTEM,
        subject_key="test-email",
        period_key=requested_at,
        title="Test message from the course platform",
        body="E-mail from the course platform reaches you. Reminders will arrive the same way.",
        url="/notifications/preferences/",
    )
    # Delivered but not e-mailed: the preference held the e-mail back. (A failed e-mail leaves
    # the row pending for the sweep to retry instead.) The conditional update lets only one
    # run of the task send it.
    if (
        log.status == ReminderLog.Status.SENT
        and not log.emailed
        and user.email
        and ReminderLog.objects.filter(pk=log.pk, emailed=False).update(emailed=True)
    ):
        try:
            reminder_email(log).send()
        except Exception:
            ReminderLog.objects.filter(pk=log.pk).update(emailed=False)
            raise
        log.emailed = True
    return log


def check_email_request(*, user: User) -> None:
    """Ask for a test e-mail; it is sent in the background once this request commits."""
    # Imported here: tasks.py imports this module, so a top-level import would be a cycle.
    from .tasks import send_test_email

    enqueue(send_test_email, user.pk, timezone.now().isoformat())


# --- Feedback notifications ------------------------------------------------------------------
# Each is a ReminderLog row like a reminder, so it has the reminders' guarantees: recorded
# once (the unique key), inside the transaction that decided it (a signal receiver calls these
# functions, so a rolled-back decision records nothing), delivered after commit by a task and,
# should that task be lost, by the next sweep; a delivery killed midway is claimed again.


def _record_for_delivery(reminder: Reminder) -> ReminderLog:
    """Record one notification in the caller's transaction; deliver it once that commits."""
    from .tasks import deliver_notifications  # tasks.py imports this module

    reminders_record(reminders=[reminder])
    log = ReminderLog.objects.get(
        recipient=reminder.recipient,
        kind=reminder.kind,
        subject_key=reminder.subject_key,
        period_key=reminder.period_key,
    )
    if log.status == ReminderLog.Status.PENDING:
        enqueue(deliver_notifications, [log.pk])
    return log


def _take_waiting(*, recipient_id: int, revision_id: int, peer_author_id: int | None) -> list[FeedbackEvent]:
    """The comments on the recipient's work on this revision not told yet: a mentor's decision
    takes the teachers' comments, a peer review its reviewer's own. Locked, so that a batch
    being released at the same moment cannot tell them too."""
    events = FeedbackEvent.objects.unbatched().filter(
        recipient_id=recipient_id, revision_id=revision_id, kind=Kind.COMMENT_ON_WORK
    )
    if peer_author_id is None:
        events = events.filter(from_peer=False)
    else:
        events = events.filter(from_peer=True, author_id=peer_author_id)
    return list(events.select_for_update().order_by("created_at", "pk"))


def _told(events: list[FeedbackEvent]) -> list[feedback.Told]:
    return [feedback.Told(line=event.line, url=event.url) for event in events]


@transaction.atomic
def feedback_decision_record(*, assessment: Assessment) -> ReminderLog:
    """Tell the student a mentor's decision on their revision once, with the comments made for
    it counted in the same notification (a review of ten comments is one message)."""
    work = WeeklyWork.objects.select_related("student", "week", "deliverable").get(pk=assessment.revision.work_id)
    waiting = _take_waiting(recipient_id=work.student_id, revision_id=assessment.revision_id, peer_author_id=None)
    log = _record_for_delivery(feedback.decision_reminder(assessment, work, _told(waiting)))
    FeedbackEvent.objects.filter(pk__in=[event.pk for event in waiting]).update(log=log)
    return log


@transaction.atomic
def feedback_peer_review_record(*, assessment: Assessment) -> ReminderLog:
    """Tell the student once that a peer reviewed their revision, with that peer's comments."""
    work = WeeklyWork.objects.select_related("student", "week", "deliverable").get(pk=assessment.revision.work_id)
    waiting = _take_waiting(
        recipient_id=work.student_id, revision_id=assessment.revision_id, peer_author_id=assessment.scorer_id
    )
    log = _record_for_delivery(feedback.peer_review_reminder(assessment, work, _told(waiting)))
    FeedbackEvent.objects.filter(pk__in=[event.pk for event in waiting]).update(log=log)
    return log


def feedback_event_record(
    *,
    recipient: User,
    kind: str,
    event_key: str,
    revision_id: int | None,
    author: User | None,
    line: str,
    url: str,
    from_peer: bool = False,
    awaits_review: bool = False,
    now: datetime.datetime | None = None,
) -> bool:
    """Keep one event for one person to be told in a batch (in the caller's transaction).
    Nobody is told about what they did themselves, and a repeated event is kept once.
    Returns whether a row was written."""
    if kind not in (Kind.COMMENT_ON_WORK, Kind.COMMENT_REPLY, Kind.THREAD_ADDRESSED):
        raise ValidationError({"kind": f"{kind!r} is not told in batches."})
    if (author is not None and recipient.pk == author.pk) or not recipient.is_active:
        return False
    now = now or timezone.now()
    hold = settings.FEEDBACK_NOTIFY_REVIEW_HOLD if awaits_review else settings.FEEDBACK_NOTIFY_WINDOW
    event = FeedbackEvent(
        recipient=recipient,
        kind=kind,
        event_key=event_key,
        revision_id=revision_id,
        author=author,
        from_peer=from_peer,
        line=feedback.excerpt(line, 300),
        url=url,
        awaits_review=awaits_review,
        release_at=now + datetime.timedelta(seconds=hold),
    )
    try:
        with transaction.atomic():  # a savepoint: a repeated event must not break the caller's transaction
            event.save(force_insert=True)
    except IntegrityError:
        return False  # told already (the unique key)
    return True


def feedback_batches_release(*, now: datetime.datetime | None = None) -> list[int]:
    """Turn what waits into notifications: for each (person, kind) with an event whose time has
    come, one notification telling everything of that kind waiting for them (events made
    for a review still to come stay for it until their own time). Returns the new log ids.

    A fixed number of queries for up to DELIVERY_BATCH groups. The events are locked with
    SKIP LOCKED, so two releases running at once (or a release and a decision) never tell one
    event twice; what one skips, the other tells."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            FeedbackEvent.objects.unbatched()
            .filter(release_at__lte=now)
            .order_by()
            .values_list("recipient_id", "kind")
            .distinct()[:DELIVERY_BATCH]
        )
        if not due:
            return []
        groups_q = Q()
        for recipient_id, kind in due:
            groups_q |= Q(recipient_id=recipient_id, kind=kind)
        events = list(
            FeedbackEvent.objects.unbatched()
            .filter(groups_q)
            .filter(Q(awaits_review=False) | Q(release_at__lte=now))
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("created_at", "pk")
        )
        groups: dict[tuple[int, str], list[FeedbackEvent]] = {}
        for event in events:
            groups.setdefault((event.recipient_id, event.kind), []).append(event)
        # A group whose due event another release holds is left whole to that release.
        groups = {key: group for key, group in groups.items() if min(e.release_at for e in group) <= now}
        if not groups:
            return []
        recipients = User.objects.in_bulk([recipient_id for recipient_id, _ in groups])
        reminders = {
            key: feedback.batch_reminder(recipients[key[0]], key[1], group[0].pk, _told(group))
            for key, group in groups.items()
        }
        reminders_record(reminders=list(reminders.values()))
        logs = {
            (log.recipient_id, log.kind, log.period_key): log.pk
            for log in ReminderLog.objects.filter(
                recipient_id__in={key[0] for key in groups},
                subject_key__in={r.subject_key for r in reminders.values()},
                period_key__in={r.period_key for r in reminders.values()},
            ).only("pk", "recipient_id", "kind", "period_key")
        }
        log_of_event = {
            event.pk: logs[(key[0], key[1], reminders[key].period_key)]
            for key, group in groups.items()
            for event in group
        }
        FeedbackEvent.objects.filter(pk__in=list(log_of_event)).update(
            log_id=Case(*(When(pk=pk, then=Value(log_id)) for pk, log_id in log_of_event.items()))
        )
    return sorted(set(log_of_event.values()))


def feedback_deliver_due(*, now: datetime.datetime | None = None, send_email: bool = True) -> tuple[int, int, int]:
    """The periodic task's work: release the batches whose time came and deliver them.
    Returns (notifications released, delivered, failed)."""
    now = now or timezone.now()
    released = 0
    delivered = failed = 0
    while True:
        log_ids = feedback_batches_release(now=now)
        if log_ids:
            batch_delivered, batch_failed = reminders_deliver(now=now, log_ids=log_ids, send_email=send_email)
            released += len(log_ids)
            delivered += batch_delivered
            failed += batch_failed
        if len(log_ids) < DELIVERY_BATCH:
            return released, delivered, failed


def _shown_in_notification(comment: Comment, recipient: User) -> str:
    """The comment's author as `recipient` may see them (the feedback app's one owner), except
    that a peer reviewer is never named in a notification or an e-mail, whatever the review's
    anonymity: those travel beyond the page that applies the setting."""
    thread = comment.thread
    if thread.by_peer and comment.author_id == thread.author_id and comment.author_id != recipient.pk:
        return f"Peer reviewer {thread.peer_number}" if thread.peer_number else "A peer reviewer"
    return comment_author_shown_to(comment, recipient)


def _place_for(recipient: User, thread: Thread, work: WeeklyWork) -> str:
    """Where `recipient` reads the thread: the student in their workspace, the peer reviewer
    on their review page, mentors and instructors on the work's page (which shows the threads
    of its latest revision beside their sections)."""
    fragment = feedback.thread_fragment(thread.pk)
    if recipient.pk == work.student_id:
        return feedback.workspace_path(work, fragment)
    if thread.by_peer and recipient.pk == thread.author_id and thread.peer_assignment_id:
        return feedback.peer_review_path(thread.peer_assignment_id, fragment)
    return feedback.workspace_path(work, fragment)


def feedback_comment_record(*, comment: Comment, now: datetime.datetime | None = None) -> int:
    """Keep a comment or reply to be told (in the comment's transaction): to the student when
    someone else wrote on their work, and to everyone else who wrote in the thread before. A
    reviewer's comment on a revision whose review is still to come waits for that review.
    Returns how many people will be told."""
    thread = comment.thread
    work = WeeklyWork.objects.select_related("student", "week", "deliverable").get(pk=thread.work_id)
    author = comment.author
    replied = Comment.objects.filter(thread_id=thread.pk, pk__lt=comment.pk).exists()
    told = 0
    if author.pk != work.student_id:
        by_peer = thread.by_peer and author.pk == thread.author_id
        if by_peer:
            assignment = thread.peer_assignment
            revision_id = thread.revision_id
            awaits = assignment is not None and assignment.assessment_id is None
        else:
            revision_id = work.latest_revision_id
            awaits = work.state in WeeklyWork.AWAITING_REVIEW_STATES and can_score_as_mentor(author, work)
        told += feedback_event_record(
            recipient=work.student,
            kind=Kind.COMMENT_ON_WORK,
            event_key=f"comment:{comment.pk}",
            revision_id=revision_id,
            author=author,
            from_peer=by_peer,
            line=feedback.comment_line(
                shown_author=_shown_in_notification(comment, work.student),
                replied=replied,
                section_title=thread.section_title,
                body=comment.body,
                own_work=True,
            ),
            url=_place_for(work.student, thread, work),
            awaits_review=awaits,
            now=now,
        )
    earlier = (
        Comment.objects.filter(thread_id=thread.pk, pk__lt=comment.pk)
        .exclude(author_id__in=[author.pk, work.student_id])
        .values_list("author_id", flat=True)
        .distinct()
    )
    for recipient in User.objects.filter(pk__in=list(earlier), is_active=True).order_by("pk"):
        told += feedback_event_record(
            recipient=recipient,
            kind=Kind.COMMENT_REPLY,
            event_key=f"comment:{comment.pk}",
            revision_id=None,
            author=author,
            line=feedback.comment_line(
                shown_author=_shown_in_notification(comment, recipient),
                replied=True,
                section_title=thread.section_title,
                body=comment.body,
                own_work=False,
            ),
            url=_place_for(recipient, thread, work),
            now=now,
        )
    return told


def feedback_thread_addressed_record(*, thread: Thread, by: User, now: datetime.datetime | None = None) -> int:
    """Keep "the student marked this thread addressed" to be told (in that transaction) to the
    student's mentors and to the thread's author when they teach the student (a peer reviews
    once and is not asked to follow up). Returns how many people will be told."""
    work = WeeklyWork.objects.select_related("student", "week", "deliverable").get(pk=thread.work_id)
    mentor_ids = set(
        MentorAssignment.objects.filter(cohort_id=work.cohort_id, student_id=work.student_id).values_list(
            "mentor_id", flat=True
        )
    )
    recipients = list(User.objects.filter(pk__in=mentor_ids, is_active=True))
    author = thread.author
    if author.pk not in mentor_ids and not thread.by_peer and can_score_as_mentor(author, work):
        recipients.append(author)
    occurrence = (thread.addressed_at or now or timezone.now()).isoformat()
    told = 0
    for recipient in sorted(recipients, key=lambda user: user.pk):
        told += feedback_event_record(
            recipient=recipient,
            kind=Kind.THREAD_ADDRESSED,
            event_key=f"thread:{thread.pk}:addressed:{occurrence}",
            revision_id=None,
            author=by,
            line=feedback.addressed_line(
                shown_student=work.student.display_name,
                section_title=thread.section_title,
                what_work=feedback.what(work),
                note=thread.addressed_note,
            ),
            url=_place_for(recipient, thread, work),
            now=now,
        )
    return told


def report_ready_record(*, run: ReportRun) -> ReminderLog:
    """Tell whoever asked for a report, once, that its file is ready (in the transaction that
    marked it built: the receiver of reports.signals.report_ready calls it there)."""
    run = ReportRun.objects.select_related("requested_by", "cohort").get(pk=run.pk)
    return _record_for_delivery(feedback.report_ready_reminder(run))
