"""Each reminder kind, the 48 h / 24 h windows around a deadline in the cohort's time zone,
extensions, and the once-only rule under repeated sweeps."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from cohorts.schedule import week_window
from notifications.models import Kind, Notification, ReminderLog
from notifications.services import reminders_sweep
from submissions.models import Revision, WeeklyWork
from tests.factories import (
    CohortFactory,
    ExtensionFactory,
    MembershipFactory,
    RetrospectiveFactory,
    WeeklyWorkFactory,
)

UTC = datetime.UTC
# The people fixture's cohorts start Monday 2026-09-07 in Europe/Berlin: week 1 is due
# Sunday 2026-09-13 23:59 CEST, which is 21:59 UTC.
WEEK1_DUE = datetime.datetime(2026, 9, 13, 21, 59, tzinfo=UTC)


def sent(kind, user):
    return list(ReminderLog.objects.filter(kind=kind, recipient=user).values_list("period_key", flat=True))


def submit(work: WeeklyWork, when: datetime.datetime, state=WeeklyWork.State.SUBMITTED) -> WeeklyWork:
    revision = Revision.objects.create(
        work=work, number=1, content={}, submitted_at=when, due_at=WEEK1_DUE, submitted_by=work.student
    )
    work.state = state
    work.latest_revision = revision
    work.save(update_fields=["state", "latest_revision"])
    return work


def test_schedule_matches_the_fixture_assumption(people):
    assert week_window(people.cohort, 1).due_at == WEEK1_DUE


@pytest.mark.parametrize(
    ("before_due", "expected"),
    [
        (datetime.timedelta(hours=48, seconds=1), []),
        (datetime.timedelta(hours=48), ["48h:2026-09-13T21:59Z"]),
        (datetime.timedelta(hours=24, seconds=1), ["48h:2026-09-13T21:59Z"]),
        (datetime.timedelta(hours=24), ["24h:2026-09-13T21:59Z"]),
        (datetime.timedelta(seconds=1), ["24h:2026-09-13T21:59Z"]),
        (datetime.timedelta(0), []),
    ],
)
def test_deadline_approaching_windows_at_their_boundaries(people, before_due, expected):
    reminders_sweep(now=WEEK1_DUE - before_due, kinds=[Kind.DEADLINE_APPROACHING])
    assert sent(Kind.DEADLINE_APPROACHING, people.student) == expected


def test_deadline_approaching_sends_48h_then_24h_once_each_however_often_the_sweep_runs(people):
    for hours in (47, 46.5, 30, 25, 23, 12, 1):
        for _ in range(3):
            reminders_sweep(now=WEEK1_DUE - datetime.timedelta(hours=hours), kinds=[Kind.DEADLINE_APPROACHING])
    assert sorted(sent(Kind.DEADLINE_APPROACHING, people.student)) == [
        "24h:2026-09-13T21:59Z",
        "48h:2026-09-13T21:59Z",
    ]
    assert Notification.objects.filter(recipient=people.student, kind=Kind.DEADLINE_APPROACHING).count() == 2
    assert len([m for m in mail.outbox if m.to == [people.student.email]]) == 2


def test_deadline_approaching_is_not_sent_to_mentors_or_other_cohorts_students(people):
    reminders_sweep(now=WEEK1_DUE - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    recipients = set(ReminderLog.objects.values_list("recipient_id", flat=True))
    assert people.student.pk in recipients and people.other_student.pk in recipients
    assert people.mentor.pk not in recipients and people.instructor.pk not in recipients


def test_deadline_approaching_follows_the_cohort_time_zone_across_a_dst_change(course):
    # US daylight saving time ends Sunday 2026-11-01 at 02:00. A New York cohort starting Monday
    # 2026-10-26 has week 1 due Sunday 2026-11-01 23:59 EST = 2026-11-02 04:59 UTC. 48 real hours
    # before is 03:59 EST... i.e. 2026-10-31 04:59 UTC; a wall-clock subtraction would say 03:59 UTC.
    cohort = CohortFactory(course=course, start_date=datetime.date(2026, 10, 26), time_zone="America/New_York")
    student = MembershipFactory(cohort=cohort).user
    due = datetime.datetime(2026, 11, 1, 23, 59, tzinfo=ZoneInfo("America/New_York"))
    assert due.astimezone(UTC) == datetime.datetime(2026, 11, 2, 4, 59, tzinfo=UTC)

    reminders_sweep(now=datetime.datetime(2026, 10, 31, 3, 59, tzinfo=UTC), kinds=[Kind.DEADLINE_APPROACHING])
    assert sent(Kind.DEADLINE_APPROACHING, student) == []
    reminders_sweep(now=datetime.datetime(2026, 10, 31, 4, 59, tzinfo=UTC), kinds=[Kind.DEADLINE_APPROACHING])
    assert sent(Kind.DEADLINE_APPROACHING, student) == ["48h:2026-11-02T04:59Z"]
    log = ReminderLog.objects.get(recipient=student)
    assert "Sun 01 Nov 2026, 23:59 EST (America/New_York)" in log.body


def test_deadline_approaching_shows_the_students_own_time_zone_too(people):
    people.student.time_zone = "Asia/Singapore"
    people.student.save(update_fields=["time_zone"])
    reminders_sweep(now=WEEK1_DUE - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    body = ReminderLog.objects.get(recipient=people.student).body
    assert "Sun 13 Sep 2026, 23:59 CEST (Europe/Berlin)" in body
    assert "Mon 14 Sep 2026, 05:59 +08 (Asia/Singapore)" in body


def test_deadline_approaching_uses_the_students_extension(people, course):
    extended = WEEK1_DUE + datetime.timedelta(days=3)
    ExtensionFactory(cohort=people.cohort, student=people.student, week=course.weeks.get(number=1), due_at=extended)
    reminders_sweep(now=WEEK1_DUE - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    assert sent(Kind.DEADLINE_APPROACHING, people.student) == []
    assert sent(Kind.DEADLINE_APPROACHING, people.other_student) == ["48h:2026-09-13T21:59Z"]
    reminders_sweep(now=extended - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    assert sent(Kind.DEADLINE_APPROACHING, people.student) == ["48h:2026-09-16T21:59Z"]


def test_deadline_approaching_skips_students_who_submitted(people):
    work = WeeklyWorkFactory(cohort=people.cohort, student=people.student)
    submit(work, WEEK1_DUE - datetime.timedelta(days=3))
    reminders_sweep(now=WEEK1_DUE - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    assert sent(Kind.DEADLINE_APPROACHING, people.student) == []
    assert sent(Kind.DEADLINE_APPROACHING, people.other_student) == ["48h:2026-09-13T21:59Z"]


def test_overdue_is_sent_once_after_the_due_instant_when_nothing_was_submitted(people):
    reminders_sweep(now=WEEK1_DUE, kinds=[Kind.OVERDUE])
    assert sent(Kind.OVERDUE, people.student) == []
    for hours in (1, 5, 30):
        reminders_sweep(now=WEEK1_DUE + datetime.timedelta(hours=hours), kinds=[Kind.OVERDUE])
    assert sent(Kind.OVERDUE, people.student) == ["due:2026-09-13T21:59Z"]
    notification = Notification.objects.get(recipient=people.student, kind=Kind.OVERDUE)
    assert notification.title == "Week 1 is overdue"


def test_overdue_skips_submitted_work_and_weeks_long_past(people):
    submit(WeeklyWorkFactory(cohort=people.cohort, student=people.student), WEEK1_DUE - datetime.timedelta(hours=2))
    reminders_sweep(now=WEEK1_DUE + datetime.timedelta(hours=1), kinds=[Kind.OVERDUE])
    assert sent(Kind.OVERDUE, people.student) == []
    assert sent(Kind.OVERDUE, people.other_student) == ["due:2026-09-13T21:59Z"]
    reminders_sweep(now=WEEK1_DUE + datetime.timedelta(days=8, hours=1), kinds=[Kind.OVERDUE])
    # Week 2 is overdue by a day now; week 1 (eight days late) is not reminded again.
    assert sorted(sent(Kind.OVERDUE, people.other_student)) == ["due:2026-09-13T21:59Z", "due:2026-09-20T21:59Z"]


def test_review_waiting_reaches_the_assigned_mentor_after_the_review_deadline(people):
    submitted_at = WEEK1_DUE - datetime.timedelta(days=1)
    work = submit(WeeklyWorkFactory(cohort=people.cohort, student=people.student), submitted_at)
    deadline = submitted_at + datetime.timedelta(hours=people.cohort.review_deadline_hours)
    reminders_sweep(now=deadline - datetime.timedelta(minutes=1), kinds=[Kind.REVIEW_WAITING])
    assert sent(Kind.REVIEW_WAITING, people.mentor) == []
    reminders_sweep(now=deadline, kinds=[Kind.REVIEW_WAITING])
    reminders_sweep(now=deadline + datetime.timedelta(hours=5), kinds=[Kind.REVIEW_WAITING])
    assert sent(Kind.REVIEW_WAITING, people.mentor) == [f"revision:{work.latest_revision_id}"]
    assert sent(Kind.REVIEW_WAITING, people.unassigned_mentor) == []
    assert sent(Kind.REVIEW_WAITING, people.foreign_mentor) == []


def test_review_waiting_is_not_sent_once_the_work_is_accepted(people):
    submitted_at = WEEK1_DUE - datetime.timedelta(days=1)
    submit(WeeklyWorkFactory(cohort=people.cohort, student=people.student), submitted_at, WeeklyWork.State.ACCEPTED)
    reminders_sweep(now=submitted_at + datetime.timedelta(days=5), kinds=[Kind.REVIEW_WAITING])
    assert sent(Kind.REVIEW_WAITING, people.mentor) == []


def test_retrospective_missing_after_acceptance_until_it_is_written(people, course):
    when = WEEK1_DUE - datetime.timedelta(days=1)
    submit(WeeklyWorkFactory(cohort=people.cohort, student=people.student), when, WeeklyWork.State.ACCEPTED)
    submit(WeeklyWorkFactory(cohort=people.cohort, student=people.other_student), when, WeeklyWork.State.ACCEPTED)
    RetrospectiveFactory(cohort=people.cohort, student=people.other_student, week=course.weeks.get(number=1))
    reminders_sweep(now=WEEK1_DUE + datetime.timedelta(days=1), kinds=[Kind.RETROSPECTIVE_MISSING])
    reminders_sweep(now=WEEK1_DUE + datetime.timedelta(days=2), kinds=[Kind.RETROSPECTIVE_MISSING])
    assert sent(Kind.RETROSPECTIVE_MISSING, people.student) == ["accepted"]
    assert sent(Kind.RETROSPECTIVE_MISSING, people.other_student) == []


def test_weekly_digest_gives_students_the_weeks_objectives_and_what_is_missing(people, course):
    monday_week_2 = datetime.datetime(2026, 9, 14, 6, 0, tzinfo=UTC)
    reminders_sweep(now=monday_week_2, kinds=[Kind.WEEKLY_DIGEST])
    reminders_sweep(now=monday_week_2 + datetime.timedelta(days=2), kinds=[Kind.WEEKLY_DIGEST])
    log = ReminderLog.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=people.student)
    week = course.weeks.get(number=2)
    assert log.period_key == "week:2"
    assert log.title == f"Week 2: {week.title}"
    objectives, missing = log.context["sections"]
    outcome_texts = [o.text for o in week.objectives.filter(kind="outcome")]
    assert len(objectives["items"]) == len(outcome_texts) == 4
    assert all(text in item for text, item in zip(outcome_texts, objectives["items"], strict=True))
    assert missing["items"] == ["Week 2 work: not submitted yet", "Week 1 work: not submitted"]
    in_app = Notification.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=people.student).body
    assert "This week's objectives:\n• " + outcome_texts[0] in in_app
    assert "Still missing:\n• Week 2 work: not submitted yet" in in_app


def test_weekly_digest_gives_mentors_their_students_and_review_queue(people):
    submit(WeeklyWorkFactory(cohort=people.cohort, student=people.student), WEEK1_DUE - datetime.timedelta(hours=3))
    reminders_sweep(now=datetime.datetime(2026, 9, 14, 6, 0, tzinfo=UTC), kinds=[Kind.WEEKLY_DIGEST])
    log = ReminderLog.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=people.mentor)
    queue, progress, _ = log.context["sections"]
    assert queue["items"] == [f"{people.student.display_name}, week 1: submitted"]
    assert sorted(progress["items"]) == sorted(
        [f"{people.student.display_name}: not started", f"{people.other_student.display_name}: not started"]
    )
    assert not ReminderLog.objects.filter(kind=Kind.WEEKLY_DIGEST, recipient=people.unassigned_mentor).exists()


def test_no_reminders_before_a_cohort_starts_or_long_after_it_ends(people):
    reminders_sweep(now=datetime.datetime(2026, 8, 1, tzinfo=UTC))
    reminders_sweep(now=datetime.datetime(2027, 6, 1, tzinfo=UTC))
    assert ReminderLog.objects.count() == 0


def test_sweep_query_count_does_not_grow_with_cohort_size(course):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cohort_with(students: int, start: datetime.date):
        cohort = CohortFactory(course=course, start_date=start)
        mentor = MembershipFactory(cohort=cohort, role="mentor").user
        for _ in range(students):
            student = MembershipFactory(cohort=cohort).user
            cohort.mentor_assignments.create(mentor=mentor, student=student)
        return cohort

    small = cohort_with(3, datetime.date(2026, 9, 7))
    now = week_window(small, 2).opens_at + datetime.timedelta(hours=1)
    sent_before = len(mail.outbox)
    with CaptureQueriesContext(connection) as small_run:
        reminders_sweep(now=now)
    small_emails, sent_before = len(mail.outbox) - sent_before, len(mail.outbox)
    cohort_with(40, datetime.date(2026, 9, 7))
    with CaptureQueriesContext(connection) as large_run:
        reminders_sweep(now=now)
    large_emails = len(mail.outbox) - sent_before
    assert ReminderLog.objects.filter(kind=Kind.WEEKLY_DIGEST).count() == 3 + 1 + 40 + 1  # each student, mentor
    assert ReminderLog.objects.filter(kind=Kind.OVERDUE).count() == 3 + 40  # week 1 is a little overdue

    def without_inserts(run):
        # The log's ANALYZE runs only when the planner's estimate of the log is below what the
        # sweep recorded, which depends on what earlier tests left in the statistics.
        return [q["sql"] for q in run.captured_queries if not q["sql"].startswith(("INSERT", "ANALYZE"))]

    # Once per sweep: 1 cohorts, 2 weeks + objectives, 1 capstone deliverables. For the one batch of
    # students (REMINDERS_SWEEP_BATCH is 500): 1 students, 1 extensions, 1 works (weekly and
    # capstone), 1 open peer reviews, 1 mentor assignments, 4 for the at-risk rules
    # (insights.selectors.at_risk_in_cohorts, for the mentors' digest, decided in SQL), 1 the
    # students' unread feedback notifications (for their digests); after the last batch, 1 the
    # mentors' unread feedback notifications; 1 the planner's estimate of the log's size. Then
    # delivery: 1 the waiting rows (the partial index), 1 claim, 1 load, 1 preferences, 1 hand the
    # e-mail rows back (everyone here gets an e-mail; the in-app and log INSERTs are left out), and
    # 1 marking the batch's last e-mail sent. The same 22 however many students and deliverables,
    # plus 1 per e-mail (it marks the one before sent and claims this one in one statement; a
    # person's reminders are one e-mail), so that a crash mid-batch can repeat at most the one
    # e-mail being sent.
    assert small_emails > 0 and large_emails > small_emails
    assert len(without_inserts(large_run)) - large_emails == 22
    assert len(without_inserts(small_run)) - small_emails == 22
    # Log rows are inserted in batches (500 on PostgreSQL; SQLite's parameter limit allows 62).
    log_inserts = [q for q in large_run.captured_queries if "INSERT" in q["sql"] and "reminderlog" in q["sql"]]
    assert len(log_inserts) <= 2


def test_peer_review_due_reminds_the_reviewer_a_day_before_and_once_overdue(people):
    from rubrics.models import PeerAssignment

    work = submit(
        WeeklyWorkFactory(cohort=people.cohort, student=people.student), WEEK1_DUE - datetime.timedelta(days=1)
    )
    due = WEEK1_DUE + datetime.timedelta(days=7)
    PeerAssignment.objects.create(
        revision=work.latest_revision, reviewer=people.other_student, assigned_at=WEEK1_DUE, due_at=due
    )
    reminders_sweep(now=due - datetime.timedelta(hours=25), kinds=[Kind.PEER_REVIEW_DUE])
    assert sent(Kind.PEER_REVIEW_DUE, people.other_student) == []
    for hours in (24, 10, 1):
        reminders_sweep(now=due - datetime.timedelta(hours=hours), kinds=[Kind.PEER_REVIEW_DUE])
    assert sent(Kind.PEER_REVIEW_DUE, people.other_student) == ["24h"]
    for hours in (0, 5, 48):
        reminders_sweep(now=due + datetime.timedelta(hours=hours), kinds=[Kind.PEER_REVIEW_DUE])
    assert sorted(sent(Kind.PEER_REVIEW_DUE, people.other_student)) == ["24h", "overdue"]
    log = ReminderLog.objects.get(recipient=people.other_student, period_key="overdue")
    assert log.title == "Your peer review of week 1 is overdue"
    assert people.student.display_name not in log.title + log.body  # the author stays anonymous
    assert sent(Kind.PEER_REVIEW_DUE, people.student) == []
