"""Feedback notifications: a mentor's decision, a peer review and a ready report each tell
their person once, recorded inside the deciding transaction and delivered after it commits;
comments wait to be told with the review they belong to, or in one batch per person."""

import datetime
import email as email_lib
import email.policy

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications.models import FeedbackEvent, Kind, Notification, ReminderLog
from notifications.services import feedback_batches_release, feedback_deliver_due, feedback_event_record
from reports.models import ReportRun
from reports.services import report_build, report_request
from rubrics.models import Assessment, PeerAssignment
from rubrics.services import assessment_record, rubric_install_defaults
from tests.factories import NotificationPreferenceFactory
from tests.rubrics.conftest import scores_for, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.SITE_URL = "https://courses.example.org"


@pytest.fixture
def rubric(course):
    return rubric_install_defaults(course=course)[0]


def decide(revision, mentor, rubric, decision, feedback="Rerun the load test with the index in place."):
    return assessment_record(
        revision=revision,
        scorer=mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, 3),
        feedback=feedback,
        decision=decision,
    )


def comment(student, author, revision, n, *, awaits_review=True, from_peer=False, now=None):
    """What the feedback app's receiver records for one comment on the student's work."""
    return feedback_event_record(
        recipient=student,
        kind=Kind.COMMENT_ON_WORK,
        event_key=f"comment:{n}",
        revision_id=revision.pk,
        author=author,
        from_peer=from_peer,
        line=f"Comment {n} on your concept analysis: “The ORM dominates”",
        url=reverse("submissions:work", kwargs={"pk": revision.work_id}) + f"#thread-{n}",
        awaits_review=awaits_review,
        now=now,
    )


def html_of(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def test_changes_requested_tells_the_student_once_in_app_and_by_email_after_commit(
    people, rubric, django_capture_on_commit_callbacks
):
    revision = submit(people.student, people.cohort)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        decide(revision, people.mentor, rubric, Assessment.Decision.REQUEST_CHANGES)
        # Recorded with the decision, not delivered before the commit.
        assert ReminderLog.objects.get().status == ReminderLog.Status.PENDING
        assert Notification.objects.count() == 0
    assert callbacks  # the delivery was enqueued on commit

    note = Notification.objects.get()
    assert (note.recipient, note.kind) == (people.student, Kind.CHANGES_REQUESTED)
    assert note.title == "Changes requested on week 1"
    assert note.url == reverse("submissions:work", kwargs={"pk": revision.work_id}) + "#asked-heading"
    assert "Rerun the load test with the index in place." in note.body
    assert people.mentor.display_name in note.body
    [message] = mail.outbox
    assert message.to == [people.student.email]
    assert "Rerun the load test" in message.body
    assert f"https://courses.example.org/work/{revision.work_id}/#asked-heading" in message.body
    assert "What was asked" in html_of(message)
    assert ReminderLog.objects.get().status == ReminderLog.Status.SENT


def test_accepting_tells_the_student_accepted(people, rubric, django_capture_on_commit_callbacks):
    revision = submit(people.student, people.cohort)
    with django_capture_on_commit_callbacks(execute=True):
        decide(revision, people.instructor, rubric, Assessment.Decision.ACCEPT, feedback="Publishable.")
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.title) == (people.student, Kind.ACCEPTED, "Week 1 accepted")
    assert [m.to for m in mail.outbox] == [[people.student.email]]


def test_a_decision_rolled_back_tells_nobody(people, rubric, django_capture_on_commit_callbacks):
    revision = submit(people.student, people.cohort)

    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom), transaction.atomic():
        decide(revision, people.mentor, rubric, Assessment.Decision.REQUEST_CHANGES)
        raise Boom
    assert ReminderLog.objects.count() == 0
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_the_preferences_hold_back_what_the_student_turned_off(people, rubric, django_capture_on_commit_callbacks):
    NotificationPreferenceFactory(user=people.student, kind=Kind.CHANGES_REQUESTED, email=False, in_app=True)
    revision = submit(people.student, people.cohort)
    with django_capture_on_commit_callbacks(execute=True):
        decide(revision, people.mentor, rubric, Assessment.Decision.REQUEST_CHANGES)
    assert Notification.objects.filter(recipient=people.student, kind=Kind.CHANGES_REQUESTED).count() == 1
    assert mail.outbox == []


def test_ten_comments_then_the_decision_are_one_notification(people, rubric, django_capture_on_commit_callbacks):
    revision = submit(people.student, people.cohort)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(1, 11):
            assert comment(people.student, people.mentor, revision, n)
        decide(revision, people.mentor, rubric, Assessment.Decision.REQUEST_CHANGES)
    # The window passes: nothing is left to tell in a batch.
    later = timezone.now() + datetime.timedelta(days=2)
    assert feedback_deliver_due(now=later) == (0, 0, 0)

    note = Notification.objects.get()
    assert note.title == "Changes requested on week 1, and 10 comments"
    assert "Comments on your work (10):" in note.body
    assert "Comment 10 on your concept analysis" in note.body
    assert FeedbackEvent.objects.filter(log__isnull=True).count() == 0
    [message] = mail.outbox
    assert f'href="https://courses.example.org/work/{revision.work_id}/#thread-3"' in html_of(message)
    assert f"https://courses.example.org/work/{revision.work_id}/#thread-3" in message.body


def test_a_comment_event_told_twice_is_kept_once(people, rubric):
    revision = submit(people.student, people.cohort)
    assert comment(people.student, people.mentor, revision, 1)
    assert not comment(people.student, people.mentor, revision, 1)
    assert FeedbackEvent.objects.count() == 1
    # Nobody is told about their own comment.
    assert not comment(people.student, people.student, revision, 2)


def test_comments_outside_a_review_are_batched_per_person_over_the_window(people, rubric, settings):
    settings.FEEDBACK_NOTIFY_WINDOW = 600
    revision = submit(people.student, people.cohort)
    start = timezone.now()
    for n in range(1, 4):
        comment(
            people.student, people.mentor, revision, n, awaits_review=False, now=start + datetime.timedelta(minutes=n)
        )
    # Before the first comment's window has passed, nothing is told.
    assert feedback_deliver_due(now=start + datetime.timedelta(minutes=10)) == (0, 0, 0)
    # Once it has, all three are told together, and never again.
    assert feedback_deliver_due(now=start + datetime.timedelta(minutes=11, seconds=1)) == (1, 1, 0)
    assert feedback_deliver_due(now=start + datetime.timedelta(hours=1)) == (0, 0, 0)
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.title) == (
        people.student,
        Kind.COMMENT_ON_WORK,
        "3 new comments on your work",
    )
    assert note.url == reverse("submissions:work", kwargs={"pk": revision.work_id}) + "#thread-1"
    assert len(mail.outbox) == 1


def test_comments_for_a_review_that_never_comes_are_told_after_the_hold(people, rubric, settings):
    settings.FEEDBACK_NOTIFY_REVIEW_HOLD = 3600
    revision = submit(people.student, people.cohort)
    start = timezone.now()
    comment(people.student, people.mentor, revision, 1, now=start)
    assert feedback_batches_release(now=start + datetime.timedelta(minutes=30)) == []
    assert len(feedback_batches_release(now=start + datetime.timedelta(hours=1, seconds=1))) == 1


def test_a_peer_review_tells_the_author_once_and_never_names_the_peer(
    people, rubric, django_capture_on_commit_callbacks
):
    revision = submit(people.student, people.cohort)
    reviewer = people.other_student
    PeerAssignment.objects.create(
        revision=revision,
        reviewer=reviewer,
        anonymous=False,  # even a named review is not named in a notification
        assigned_at=timezone.now(),
        due_at=timezone.now() + datetime.timedelta(days=3),
    )
    comment(people.student, reviewer, revision, 7, from_peer=True)
    comment(people.student, people.mentor, revision, 8)  # the mentor's: waits for the mentor's decision
    with django_capture_on_commit_callbacks(execute=True):
        assessment_record(
            revision=revision, scorer=reviewer, kind=Assessment.Kind.PEER, scores=scores_for(rubric, 2), feedback="Ok"
        )
    note = Notification.objects.get()
    assert (note.recipient, note.kind) == (people.student, Kind.PEER_REVIEW_RECEIVED)
    assert note.title == "A peer reviewed week 1, and 1 comment"
    assert note.url == reverse("rubrics:feedback", kwargs={"pk": revision.pk})
    [message] = mail.outbox
    for text in (note.title, note.body, message.subject, message.body, html_of(message)):
        assert reviewer.display_name not in text
        assert reviewer.email not in text
    assert FeedbackEvent.objects.get(event_key="comment:8").log is None


def test_a_ready_report_tells_its_requester_once_however_often_it_is_built(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = report_request(
            kind=ReportRun.Kind.COHORT,
            fmt=ReportRun.Format.CSV,
            cohort=people.cohort,
            by=people.instructor,
            enqueue_build=False,
        )
        report_build(run=run)
        report_build(run=run, take_over=True)  # a redelivered build
    assert ReminderLog.objects.filter(kind=Kind.REPORT_READY).count() == 1
    note = Notification.objects.get()
    assert (note.recipient, note.kind) == (people.instructor, Kind.REPORT_READY)
    assert note.url == reverse("reports:detail", kwargs={"pk": run.pk})
    assert len(mail.outbox) == 1


def test_the_email_is_html_and_text_with_a_one_click_unsubscribe_for_its_kind(
    people, rubric, django_capture_on_commit_callbacks
):
    revision = submit(people.student, people.cohort)
    with django_capture_on_commit_callbacks(execute=True):
        decide(revision, people.mentor, rubric, Assessment.Decision.REQUEST_CHANGES, feedback="<script>x</script>")
    [message] = mail.outbox
    parsed = email_lib.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<script>" not in html_of(message)  # the mentor's text is escaped
    assert "&lt;script&gt;" in html_of(message)
    assert "Your mentor requested changes" in message.body  # the kind's label, for the unsubscribe line


def test_the_weekly_digest_lists_unread_feedback_notifications(people):
    from notifications.services import reminders_sweep
    from tests.factories import NotificationFactory

    for n in range(12):
        NotificationFactory(recipient=people.student, kind=Kind.COMMENT_ON_WORK, title=f"Comment {n}")
    NotificationFactory(recipient=people.student, kind=Kind.ACCEPTED, title="Week 1 accepted", read_at=timezone.now())
    NotificationFactory(recipient=people.student, kind=Kind.OVERDUE, title="Week 1 is overdue")  # not feedback
    NotificationFactory(recipient=people.mentor, kind=Kind.THREAD_ADDRESSED, title="2 comment threads were addressed")
    # Monday 28 September 2026, early morning: week 4 of the people fixture's cohort opens.
    reminders_sweep(now=datetime.datetime(2026, 9, 28, 6, 0, tzinfo=datetime.UTC), kinds=[Kind.WEEKLY_DIGEST])

    def unread_section(user):
        sections = ReminderLog.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=user).context["sections"]
        return next(s["items"] for s in sections if s["heading"] == "Unread feedback notifications")

    # The newest ten, then how many more; read ones and reminders are not listed.
    assert unread_section(people.student) == [f"Comment {n}" for n in range(11, 1, -1)] + ["and 2 more"]
    assert unread_section(people.mentor) == ["2 comment threads were addressed"]
    other = ReminderLog.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=people.other_student).context["sections"]
    assert "Unread feedback notifications" not in [s["heading"] for s in other]


def test_preferences_offer_each_feedback_kind_to_the_roles_it_reaches(people, client_for):
    page = reverse("notifications:preferences")
    student = client_for(people.student).get(page).content.decode()
    mentor = client_for(people.mentor).get(page).content.decode()
    for kind in (Kind.CHANGES_REQUESTED, Kind.ACCEPTED, Kind.PEER_REVIEW_RECEIVED, Kind.COMMENT_ON_WORK):
        assert kind.label in student and kind.label not in mentor
    assert Kind.THREAD_ADDRESSED.label in mentor and Kind.THREAD_ADDRESSED.label not in student
    for kind in (Kind.COMMENT_REPLY, Kind.REPORT_READY):
        assert kind.label in student and kind.label in mentor
    response = client_for(people.student).post(
        page,
        {
            f"{kind}__{channel}": "on"
            for kind in Kind.values
            for channel in ("email", "in_app")
            if (kind, channel) != (Kind.COMMENT_ON_WORK, "email")
        },
    )
    assert response.status_code == 302
    saved = people.student.notification_preferences.get(kind=Kind.COMMENT_ON_WORK)
    assert (saved.email, saved.in_app) == (False, True)
