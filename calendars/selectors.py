"""What a person's calendar feed holds: their own due dates, one event per thing due.

Each event comes from the owner of its date: week and deliverable due dates from
cohorts.selectors.due_dates (extensions applied), peer reviews from rubrics.selectors.peer_tasks,
review deadlines from rubrics.selectors.review_queue. A fixed number of queries whatever
the number of cohorts, weeks or students.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import User
from cohorts.models import Cohort, Extension, Membership, MentorAssignment
from cohorts.selectors import due_dates
from curriculum.models import CapstoneDeliverable, Week
from rubrics.selectors import peer_tasks, review_queue

from .models import CalendarFeed

_SECRET_SALT = "calendars.feed"


def feed_secret(feed: CalendarFeed, *, secret: str | None = None) -> str:
    """The secret part of the feed's address (40 hex digits)."""
    return salted_hmac(_SECRET_SALT, f"{feed.pk}.{feed.nonce}", secret=secret, algorithm="sha256").hexdigest()[:40]


def feed_path(feed: CalendarFeed) -> str:
    return reverse("calendars:feed", kwargs={"pk": feed.pk, "secret": feed_secret(feed)})


def feed_for_user(user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def feed_get_by_secret(pk: int, secret: str) -> CalendarFeed:
    """The feed whose address this is (404 otherwise, the same for a wrong secret, a reset or
    turned-off feed and an unknown id). Addresses made under a SECRET_KEY listed in
    SECRET_KEY_FALLBACKS keep working while it rotates out."""
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), pk=pk, user__is_active=True)
    for key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        if constant_time_compare(feed_secret(feed, secret=key), secret):
            return feed
    raise Http404("No such calendar feed.")


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    summary: str
    description: str
    start: datetime.datetime  # aware, in the zone it is shown in
    path: str
    # Incremented whenever a record the date derives from changed (RFC 5545 3.8.7.4): an
    # extension granted, moved or withdrawn, or the cohort's calendar edited.
    sequence: int
    categories: tuple[str, ...] = ()


def _uid(*parts: object) -> str:
    return "-".join(str(part) for part in parts) + f"@{settings.CALENDAR_UID_DOMAIN}"


def _path(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs)


def calendar_events(user: User, *, now: datetime.datetime) -> list[CalendarEvent]:
    """Everything due for `user`, in each cohort's time zone, sorted by date."""
    memberships = list(
        Membership.objects.filter(user=user).select_related("cohort__course").order_by("cohort__start_date", "pk")
    )
    studying = [m.cohort for m in memberships if m.role == Membership.Role.STUDENT]
    teaching = [m.cohort for m in memberships if m.role != Membership.Role.STUDENT]
    cohorts = {cohort.pk: cohort for cohort in studying + teaching}
    if not cohorts:
        return []
    course_ids = {cohort.course_id for cohort in cohorts.values()}
    weeks_of: dict[int, list[Week]] = {}
    for week in Week.objects.filter(course_id__in=course_ids).order_by("number"):
        weeks_of.setdefault(week.course_id, []).append(week)
    deliverables_of: dict[int, list[CapstoneDeliverable]] = {}
    for deliverable in (
        CapstoneDeliverable.objects.filter(project__course_id__in=course_ids)
        .select_related("project", "due_week")
        .order_by("project__number", "order")
    ):
        deliverables_of.setdefault(deliverable.project.course_id, []).append(deliverable)
    cohort_changes = dict(
        Cohort.history.filter(id__in=list(cohorts)).order_by().values_list("id").annotate(n=Count("history_id"))
    )
    extension_changes = {
        (cohort_id, number): count
        for cohort_id, number, count in Extension.history.filter(
            student_id=user.pk, cohort_id__in=[c.pk for c in studying]
        )
        .order_by()
        .values_list("cohort_id", "week__number")
        .annotate(n=Count("history_id"))
    }
    due = due_dates(cohorts=studying, student_ids=[user.pk])

    events: list[CalendarEvent] = []
    for cohort in studying:
        zone = ZoneInfo(cohort.time_zone)
        schedule_changes = cohort_changes.get(cohort.pk, 1) - 1
        extended_weeks = due.extended_weeks(cohort, user.pk)
        for week in weeks_of.get(cohort.course_id, []):
            due_at = due.due_at(cohort, week.number, user.pk).astimezone(zone)
            sequence = schedule_changes + extension_changes.get((cohort.pk, week.number), 0)
            extended = week.number in extended_weeks
            events.append(
                CalendarEvent(
                    uid=_uid("week", cohort.pk, week.number, "student", user.pk),
                    summary=f"Week {week.number} due: {week.title}",
                    description=(
                        f"{cohort.name}: your work for week {week.number} is due"
                        + (" (your extension)." if extended else ".")
                    ),
                    start=due_at,
                    path=_path("submissions:open_week", slug=cohort.slug, number=week.number),
                    sequence=sequence,
                    categories=("Week due",),
                )
            )
        for deliverable in deliverables_of.get(cohort.course_id, []):
            number = deliverable.due_week.number
            events.append(
                CalendarEvent(
                    uid=_uid("deliverable", cohort.pk, deliverable.pk, "student", user.pk),
                    summary=f"Capstone due: {deliverable.title}",
                    description=f"{cohort.name}: {deliverable.project.title}, due with week {number}.",
                    start=due.due_at(cohort, number, user.pk).astimezone(zone),
                    path=_path("submissions:open_deliverable", slug=cohort.slug, deliverable_id=deliverable.pk),
                    sequence=schedule_changes + extension_changes.get((cohort.pk, number), 0),
                    categories=("Capstone deliverable due",),
                )
            )
    for cohort in teaching:
        zone = ZoneInfo(cohort.time_zone)
        for week in weeks_of.get(cohort.course_id, []):
            events.append(
                CalendarEvent(
                    uid=_uid("week", cohort.pk, week.number, "cohort"),
                    summary=f"{cohort.name}: week {week.number} due",
                    description=f"Week {week.number} ({week.title}) is due for the students of {cohort.name}.",
                    start=due.due_at(cohort, week.number, None).astimezone(zone),
                    path=_path("cohorts:detail", slug=cohort.slug),
                    sequence=cohort_changes.get(cohort.pk, 1) - 1,
                    categories=("Cohort week due",),
                )
            )
    for assignment in peer_tasks(user):
        if assignment.assessment_id is not None:
            continue
        work = assignment.revision.work
        cohort = cohorts.get(work.cohort_id, work.cohort)
        what = f"week {work.week.number}" if work.week_id else work.deliverable.title
        # Never the author's name: peer reviews may be anonymous.
        events.append(
            CalendarEvent(
                uid=_uid("peer-review", assignment.pk),
                summary=f"Peer review due: {what}",
                description=f"{cohort.name}: a peer review you were assigned is due.",
                start=assignment.due_at.astimezone(ZoneInfo(cohort.time_zone)),
                path=_path("rubrics:peer_review", pk=assignment.pk),
                sequence=0,
                categories=("Peer review due",),
            )
        )
    mentees = set(
        MentorAssignment.objects.filter(mentor=user, cohort_id__in=[c.pk for c in teaching]).values_list(
            "cohort_id", "student_id"
        )
    )
    if mentees:
        for item in review_queue(user, now):
            work = item.work
            if (work.cohort_id, work.student_id) not in mentees:
                continue
            cohort = cohorts[work.cohort_id]
            what = f"week {work.week.number}" if work.week_id else work.deliverable.title
            events.append(
                CalendarEvent(
                    uid=_uid("review", item.revision.pk),
                    summary=f"Review due: {work.student.display_name}, {what}",
                    description=(
                        f"{cohort.name}: revision {item.revision.number} waits for your review; "
                        f"the cohort's review deadline is {cohort.review_deadline_hours} hours."
                    ),
                    start=item.deadline_at.astimezone(ZoneInfo(cohort.time_zone)),
                    path=_path("rubrics:score", pk=item.revision.pk),
                    sequence=cohort_changes.get(cohort.pk, 1) - 1,
                    categories=("Review due",),
                )
            )
    events.sort(key=lambda event: (event.start, event.uid))
    return events
