"""Deadline-approaching, overdue and digest reminders for capstone deliverables: a deliverable
is due when its due week is (the student's extension for that week applied), and each one is
reminded on its own, beside the week's own reminder."""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cohorts.schedule import week_window
from curriculum.models import CapstoneDeliverable
from notifications.emails import absolute
from notifications.models import Kind, Notification, ReminderLog
from notifications.services import reminders_sweep
from submissions.models import Revision, WeeklyWork
from tests.factories import (
    CapstoneDeliverableFactory,
    CapstoneProjectFactory,
    CohortFactory,
    ExtensionFactory,
    MembershipFactory,
    WeeklyWorkFactory,
)

UTC = datetime.UTC
# The people fixture's cohorts start Monday 2026-09-07 in Europe/Berlin. Week 8 (after the end
# of summer time on 2026-10-25) is due Sunday 2026-11-01 23:59 CET, which is 22:59 UTC; the
# bundled curriculum's project 1 has its three deliverables due that week.
WEEK8_DUE = datetime.datetime(2026, 11, 1, 22, 59, tzinfo=UTC)
WEEK8_KEY = "2026-11-01T22:59Z"


@pytest.fixture
def deliverables(course) -> list[CapstoneDeliverable]:
    return list(
        CapstoneDeliverable.objects.filter(project__course=course, due_week__number=8)
        .select_related("project")
        .order_by("order")
    )


def logs(kind, user) -> list[tuple[str, str]]:
    """(subject, period) of a user's reminders of one kind about week 8 or a deliverable, sorted.
    (Week 7 is overdue too in the days after week 8's due instant.)"""
    rows = ReminderLog.objects.filter(kind=kind, recipient=user).filter(
        Q(subject_key__endswith=":week:8") | Q(subject_key__contains=":deliverable:")
    )
    return sorted(rows.values_list("subject_key", "period_key"))


def deliverable_subject(cohort, deliverable) -> str:
    return f"cohort:{cohort.pk}:deliverable:{deliverable.pk}"


def expected(cohort, deliverables, period, *, week=8) -> list[tuple[str, str]]:
    """The week's reminder (unless week is None) and one per deliverable, for one period."""
    subjects = [deliverable_subject(cohort, d) for d in deliverables]
    if week is not None:
        subjects.append(f"cohort:{cohort.pk}:week:{week}")
    return sorted((subject, period) for subject in subjects)


def capstone_work(cohort, student, deliverable, *, submitted_at=None) -> WeeklyWork:
    """A student's work on a deliverable: a draft, or submitted at `submitted_at`."""
    work = WeeklyWorkFactory(cohort=cohort, student=student, week=None, deliverable=deliverable)
    if submitted_at is not None:
        revision = Revision.objects.create(
            work=work, number=1, content={}, submitted_at=submitted_at, due_at=WEEK8_DUE, submitted_by=student
        )
        work.state = WeeklyWork.State.SUBMITTED
        work.latest_revision = revision
        work.save(update_fields=["state", "latest_revision"])
    return work


def test_fixture_assumptions(people, deliverables):
    assert week_window(people.cohort, 8).due_at == WEEK8_DUE
    assert [d.project.number for d in deliverables] == [1, 1, 1]


@pytest.mark.parametrize(
    ("before_due", "period"),
    [
        (datetime.timedelta(hours=48, seconds=1), None),
        (datetime.timedelta(hours=48), f"48h:{WEEK8_KEY}"),
        (datetime.timedelta(hours=24, seconds=1), f"48h:{WEEK8_KEY}"),
        (datetime.timedelta(hours=24), f"24h:{WEEK8_KEY}"),
        (datetime.timedelta(seconds=1), f"24h:{WEEK8_KEY}"),
        (datetime.timedelta(0), None),
    ],
)
def test_deadline_approaching_windows_for_deliverables_at_their_boundaries(people, deliverables, before_due, period):
    reminders_sweep(now=WEEK8_DUE - before_due, kinds=[Kind.DEADLINE_APPROACHING])
    assert logs(Kind.DEADLINE_APPROACHING, people.student) == (
        expected(people.cohort, deliverables, period) if period else []
    )


def test_deadline_approaching_for_a_deliverable_says_what_is_due_and_links_to_its_workspace(
    people, deliverables, client_for
):
    first = deliverables[0]
    reminders_sweep(now=WEEK8_DUE - datetime.timedelta(hours=10), kinds=[Kind.DEADLINE_APPROACHING])
    log = ReminderLog.objects.get(recipient=people.student, subject_key=deliverable_subject(people.cohort, first))
    assert log.period_key == f"24h:{WEEK8_KEY}"
    assert log.title == f"Capstone deliverable “{first.title}” is due in less than 24 hours"
    assert f"“{first.title}” for project 1, “{first.project.title}”, is due" in log.body
    assert "Sun 01 Nov 2026, 23:59 CET (Europe/Berlin)" in log.body
    assert log.context["deliverable"] == first.title and log.context["project"] == first.project.title
    path = reverse("submissions:open_deliverable", kwargs={"slug": people.cohort.slug, "deliverable_id": first.pk})
    assert log.url == path
    # The link shows the deliverable with a Start button (a GET, e.g. a mail client's link
    # preview, creates nothing); starting it opens the student's workspace for it.
    client = client_for(people.student)
    shown = client.get(log.url)
    assert shown.status_code == 200 and first.title in shown.content.decode()
    assert not WeeklyWork.objects.filter(student=people.student, deliverable=first).exists()
    response = client.post(log.url)
    work = WeeklyWork.objects.get(cohort=people.cohort, student=people.student, deliverable=first)
    assert response.status_code == 302 and response.url == reverse("submissions:work", kwargs={"pk": work.pk})

    # The week and each deliverable due with it are reminders of one sweep: one e-mail lists them.
    [email] = [m for m in mail.outbox if m.to == [people.student.email]]
    assert log.title in email.body and absolute(path) in email.body
    assert first.title in email.alternatives[0][0]
    assert ReminderLog.objects.filter(recipient=people.student, emailed=False).count() == 0


def test_overdue_for_a_deliverable_is_sent_once_within_a_week_of_the_due_instant(people, deliverables):
    reminders_sweep(now=WEEK8_DUE, kinds=[Kind.OVERDUE])
    assert logs(Kind.OVERDUE, people.student) == []
    for hours in (1, 5, 30, 24 * 7):
        reminders_sweep(now=WEEK8_DUE + datetime.timedelta(hours=hours), kinds=[Kind.OVERDUE])
    assert logs(Kind.OVERDUE, people.student) == expected(people.cohort, deliverables, f"due:{WEEK8_KEY}")
    first = deliverables[0]
    log = ReminderLog.objects.get(
        kind=Kind.OVERDUE, recipient=people.student, subject_key=deliverable_subject(people.cohort, first)
    )
    assert log.title == f"Capstone deliverable “{first.title}” is overdue"
    assert "was due Sun 01 Nov 2026, 23:59 CET (Europe/Berlin) and has not been submitted." in log.body
    assert Notification.objects.get(reminder=log).title == log.title

    latecomer = MembershipFactory(cohort=people.cohort).user
    reminders_sweep(now=WEEK8_DUE + datetime.timedelta(days=7, minutes=1), kinds=[Kind.OVERDUE])
    assert logs(Kind.OVERDUE, latecomer) == []  # more than a week late: no longer reminded


def test_no_deliverable_reminders_once_it_is_submitted(people, deliverables):
    first, second, third = deliverables
    capstone_work(people.cohort, people.student, first, submitted_at=WEEK8_DUE - datetime.timedelta(days=3))
    capstone_work(people.cohort, people.student, second)  # a draft is not submitted
    reminders_sweep(now=WEEK8_DUE - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    reminders_sweep(now=WEEK8_DUE + datetime.timedelta(hours=1), kinds=[Kind.OVERDUE])
    assert logs(Kind.DEADLINE_APPROACHING, people.student) == expected(
        people.cohort, [second, third], f"48h:{WEEK8_KEY}"
    )
    assert logs(Kind.OVERDUE, people.student) == expected(people.cohort, [second, third], f"due:{WEEK8_KEY}")
    assert logs(Kind.OVERDUE, people.other_student) == expected(people.cohort, deliverables, f"due:{WEEK8_KEY}")


def test_an_extension_for_the_due_week_moves_the_deliverables_reminders(people, course, deliverables):
    extended = WEEK8_DUE + datetime.timedelta(days=3)
    extended_key = "2026-11-04T22:59Z"
    ExtensionFactory(cohort=people.cohort, student=people.student, week=course.weeks.get(number=8), due_at=extended)

    reminders_sweep(now=WEEK8_DUE - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    reminders_sweep(now=WEEK8_DUE + datetime.timedelta(hours=1), kinds=[Kind.OVERDUE])
    assert logs(Kind.DEADLINE_APPROACHING, people.student) == []
    assert logs(Kind.OVERDUE, people.student) == []
    assert logs(Kind.OVERDUE, people.other_student) == expected(people.cohort, deliverables, f"due:{WEEK8_KEY}")

    reminders_sweep(now=extended - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    reminders_sweep(now=extended + datetime.timedelta(hours=1), kinds=[Kind.OVERDUE])
    assert logs(Kind.DEADLINE_APPROACHING, people.student) == expected(
        people.cohort, deliverables, f"48h:{extended_key}"
    )
    assert logs(Kind.OVERDUE, people.student) == expected(people.cohort, deliverables, f"due:{extended_key}")
    body = ReminderLog.objects.get(
        kind=Kind.OVERDUE, recipient=people.student, subject_key=deliverable_subject(people.cohort, deliverables[0])
    ).body
    assert "was due Wed 04 Nov 2026, 23:59 CET (Europe/Berlin)" in body


def test_deliverable_reminders_go_out_exactly_once_however_often_the_sweep_runs(people, deliverables):
    for hours in (47, 46.5, 30, 25, 23, 12, 1, -1, -5, -30):
        for _ in range(3):
            reminders_sweep(now=WEEK8_DUE - datetime.timedelta(hours=hours))
    subjects = [deliverable_subject(people.cohort, d) for d in deliverables]
    approaching = logs(Kind.DEADLINE_APPROACHING, people.student)
    assert approaching == sorted(
        expected(people.cohort, deliverables, f"48h:{WEEK8_KEY}")
        + expected(people.cohort, deliverables, f"24h:{WEEK8_KEY}")
    )
    assert logs(Kind.OVERDUE, people.student) == expected(people.cohort, deliverables, f"due:{WEEK8_KEY}")
    about_deliverables = Notification.objects.filter(recipient=people.student, reminder__subject_key__in=subjects)
    assert about_deliverables.count() == 3 * 3  # 48 h, 24 h and overdue for each deliverable
    # A sweep's reminders to one person go out in one e-mail: each of the nine is in exactly one.
    bodies = [m.body for m in mail.outbox if m.to == [people.student.email]]
    titles = ReminderLog.objects.filter(recipient=people.student, subject_key__in=subjects).values_list(
        "title", flat=True
    )
    assert len(titles) == 9
    assert all(sum(body.count(title) for body in bodies) == 1 for title in titles)


def test_a_week_and_a_deliverable_due_the_same_instant_each_get_their_reminder(people, course):
    # One deliverable of a new project due with week 8, beside the week itself.
    deliverable = CapstoneDeliverableFactory(
        project__course=course, project__number=9, title="Chaos drill report", due_week=course.weeks.get(number=8)
    )
    reminders_sweep(now=WEEK8_DUE - datetime.timedelta(hours=20), kinds=[Kind.DEADLINE_APPROACHING])
    reminders_sweep(now=WEEK8_DUE - datetime.timedelta(hours=2), kinds=[Kind.DEADLINE_APPROACHING])
    rows = ReminderLog.objects.filter(recipient=people.student, period_key=f"24h:{WEEK8_KEY}")
    titles = dict(rows.values_list("subject_key", "title"))
    assert titles[f"cohort:{people.cohort.pk}:week:8"] == "Week 8 is due in less than 24 hours"
    assert (
        titles[deliverable_subject(people.cohort, deliverable)]
        == "Capstone deliverable “Chaos drill report” is due in less than 24 hours"
    )
    assert rows.count() == 1 + 3 + 1  # the week, project 1's three deliverables, the new one


def test_deliverable_reminders_give_the_students_own_time_zone_when_it_differs(people, deliverables):
    people.student.time_zone = "Asia/Singapore"
    people.student.save(update_fields=["time_zone"])
    people.other_student.time_zone = "Europe/Berlin"
    people.other_student.save(update_fields=["time_zone"])
    reminders_sweep(now=WEEK8_DUE - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    reminders_sweep(now=WEEK8_DUE + datetime.timedelta(hours=1), kinds=[Kind.OVERDUE])
    subject = deliverable_subject(people.cohort, deliverables[0])
    for kind in (Kind.DEADLINE_APPROACHING, Kind.OVERDUE):
        away = ReminderLog.objects.get(kind=kind, recipient=people.student, subject_key=subject).body
        assert "Sun 01 Nov 2026, 23:59 CET (Europe/Berlin)" in away
        assert "That is Mon 02 Nov 2026, 06:59 +08 (Asia/Singapore) where you are." in away
        home = ReminderLog.objects.get(kind=kind, recipient=people.other_student, subject_key=subject).body
        assert "Sun 01 Nov 2026, 23:59 CET (Europe/Berlin)" in home
        assert "where you are" not in home


def test_a_long_deliverable_title_is_shortened_so_the_reminder_title_still_says_overdue(people, course):
    long_title = "Evidence " * 33  # 297 characters; a reminder title holds 200
    CapstoneDeliverableFactory(
        project__course=course, project__number=9, title=long_title, due_week=course.weeks.get(number=8)
    )
    reminders_sweep(now=WEEK8_DUE + datetime.timedelta(hours=1), kinds=[Kind.OVERDUE])
    log = ReminderLog.objects.get(recipient=people.student, title__startswith="Capstone deliverable “Evidence")
    assert log.title.endswith("…” is overdue") and len(log.title) <= 200
    assert long_title in log.body  # the body names it in full


def test_weekly_digest_lists_the_deliverables_due_this_week_that_are_not_submitted(people, deliverables):
    first, second, third = deliverables
    capstone_work(people.cohort, people.student, first, submitted_at=WEEK8_DUE - datetime.timedelta(days=6))
    week8_opens = week_window(people.cohort, 8).opens_at
    reminders_sweep(now=week8_opens + datetime.timedelta(hours=1), kinds=[Kind.WEEKLY_DIGEST])
    log = ReminderLog.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=people.student)
    assert log.period_key == "week:8"
    _, missing = log.context["sections"]
    capstone_items = [item for item in missing["items"] if item.startswith("Capstone")]
    assert capstone_items == [
        f"Capstone project 1, deliverable “{second.title}” (due with week 8): not submitted yet",
        f"Capstone project 1, deliverable “{third.title}” (due with week 8): not submitted yet",
    ]
    in_app = Notification.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=people.student).body
    assert f"• Capstone project 1, deliverable “{second.title}” (due with week 8)" in in_app
    email = next(m for m in mail.outbox if m.to == [people.student.email])
    assert f"deliverable “{third.title}” (due with week 8): not submitted yet" in email.body

    # The next week's digest still names the deliverables that were never submitted.
    reminders_sweep(
        now=week_window(people.cohort, 9).opens_at + datetime.timedelta(hours=1), kinds=[Kind.WEEKLY_DIGEST]
    )
    week9 = ReminderLog.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=people.student, period_key="week:9")
    assert [item for item in week9.context["sections"][1]["items"] if item.startswith("Capstone")] == [
        f"Capstone project 1, deliverable “{second.title}” (due with week 8): not submitted",
        f"Capstone project 1, deliverable “{third.title}” (due with week 8): not submitted",
    ]


def test_weekly_digest_without_a_deliverable_due_mentions_none(people):
    reminders_sweep(
        now=week_window(people.cohort, 3).opens_at + datetime.timedelta(hours=1), kinds=[Kind.WEEKLY_DIGEST]
    )
    _, missing = ReminderLog.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=people.student).context["sections"]
    assert missing["items"] and not [item for item in missing["items"] if "Capstone" in item]


def test_sweep_query_count_does_not_grow_with_deliverables_or_students(course):
    week8 = course.weeks.get(number=8)

    def cohort_with(students: int):
        cohort = CohortFactory(course=course, start_date=datetime.date(2026, 9, 7))
        mentor = MembershipFactory(cohort=cohort, role="mentor").user
        for _ in range(students):
            student = MembershipFactory(cohort=cohort).user
            cohort.mentor_assignments.create(mentor=mentor, student=student)
        return cohort

    now = WEEK8_DUE - datetime.timedelta(hours=30)
    about_deliverables = ReminderLog.objects.filter(
        kind=Kind.DEADLINE_APPROACHING, subject_key__contains=":deliverable:"
    )
    small = cohort_with(3)
    sent_before = len(mail.outbox)
    with CaptureQueriesContext(connection) as small_run:
        reminders_sweep(now=now)
    small_emails, sent_before = len(mail.outbox) - sent_before, len(mail.outbox)
    assert about_deliverables.count() == 3 * 3

    large = cohort_with(40)
    project = CapstoneProjectFactory(course=course, number=9)
    extra = [CapstoneDeliverableFactory(project=project, order=order, due_week=week8) for order in range(1, 6)]
    for membership in large.memberships.filter(role="student")[:10]:
        capstone_work(large, membership.user, extra[0], submitted_at=now - datetime.timedelta(days=1))
    with CaptureQueriesContext(connection) as large_run:
        reminders_sweep(now=now)
    large_emails = len(mail.outbox) - sent_before

    # Everyone now also has the five new deliverables, but for the ten who submitted one.
    assert about_deliverables.filter(subject_key__startswith=f"cohort:{small.pk}:").count() == 3 * (3 + 5)
    assert about_deliverables.filter(subject_key__startswith=f"cohort:{large.pk}:").count() == 40 * (3 + 5) - 10

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


def test_review_waiting_reaches_the_mentor_for_a_submitted_deliverable(people, deliverables):
    first = deliverables[0]
    submitted_at = WEEK8_DUE - datetime.timedelta(hours=2)
    work = capstone_work(people.cohort, people.student, first, submitted_at=submitted_at)
    deadline = submitted_at + datetime.timedelta(hours=people.cohort.review_deadline_hours)
    reminders_sweep(now=deadline - datetime.timedelta(minutes=1), kinds=[Kind.REVIEW_WAITING])
    assert not ReminderLog.objects.filter(kind=Kind.REVIEW_WAITING).exists()
    reminders_sweep(now=deadline, kinds=[Kind.REVIEW_WAITING])
    reminders_sweep(now=deadline + datetime.timedelta(hours=6), kinds=[Kind.REVIEW_WAITING])
    log = ReminderLog.objects.get(kind=Kind.REVIEW_WAITING, recipient=people.mentor)
    assert (log.subject_key, log.period_key) == (f"work:{work.pk}", f"revision:{work.latest_revision_id}")
    assert log.title == (
        f"{people.student.display_name}'s capstone deliverable “{first.title}” has waited over "
        f"{people.cohort.review_deadline_hours} hours"
    )
    assert f"revision 1 of capstone deliverable “{first.title}”" in log.body
    assert log.url == reverse("submissions:work", kwargs={"pk": work.pk})
    assert not ReminderLog.objects.filter(kind=Kind.REVIEW_WAITING, recipient=people.unassigned_mentor).exists()
    assert not ReminderLog.objects.filter(kind=Kind.REVIEW_WAITING, recipient=people.foreign_mentor).exists()


def test_mentor_digest_lists_deliverables_waiting_for_review(people, deliverables):
    capstone_work(people.cohort, people.student, deliverables[1], submitted_at=WEEK8_DUE - datetime.timedelta(hours=1))
    capstone_work(people.cohort, people.other_student, deliverables[2])  # a draft waits for nobody
    monday_week_9 = datetime.datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
    reminders_sweep(now=monday_week_9, kinds=[Kind.WEEKLY_DIGEST])
    log = ReminderLog.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=people.mentor)
    queue, _, _ = log.context["sections"]
    assert queue["items"] == [
        f"{people.student.display_name}, Capstone project 1, deliverable “{deliverables[1].title}”: submitted"
    ]
    assert "1 submission(s) wait for your review." in log.body


def test_week_overdue_and_digest_reminders_give_the_students_own_time_zone_too(people, deliverables):
    people.student.time_zone = "Asia/Singapore"
    people.student.save(update_fields=["time_zone"])
    reminders_sweep(now=WEEK8_DUE + datetime.timedelta(hours=1), kinds=[Kind.OVERDUE, Kind.WEEKLY_DIGEST])
    overdue = ReminderLog.objects.get(
        kind=Kind.OVERDUE, recipient=people.student, subject_key=f"cohort:{people.cohort.pk}:week:8"
    ).body
    assert "That is Mon 02 Nov 2026, 06:59 +08 (Asia/Singapore) where you are." in overdue
    digest = ReminderLog.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=people.student).body
    assert "where you are." in digest and "(Asia/Singapore)" in digest
