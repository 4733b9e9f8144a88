"""Cohort reads shared by pages, the API and other apps."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from accounts.selectors import name_or_email_contains
from core.compiled_query import CompiledQuery
from curriculum.models import Week

from . import policies
from .models import Cohort, CohortInvitation, Extension, Membership, MentorAssignment
from .schedule import DueDates, WeekWindow, week_window


def roles_for_user(user: User) -> set[str]:
    """Every role the user holds in any cohort (one query)."""
    return set(Membership.objects.filter(user=user).order_by().values_list("role", flat=True).distinct())


@dataclass(frozen=True)
class TeachingScope:
    """Whose work a person sees as a teacher: every student of the cohorts they instruct, and
    in the cohorts where they mentor, the students assigned to them."""

    instructed_cohort_ids: frozenset[int] = frozenset()
    mentored_student_ids: dict[int, frozenset[int]] = field(default_factory=dict)  # by cohort id

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int | None, int | None]]) -> "TeachingScope":
        """From the rows of teaching_scope_parts (other rows, with no cohort, are ignored)."""
        instructed: set[int] = set()
        students: dict[int, set[int]] = {}
        for cohort_id, student_id in rows:
            if cohort_id is None:
                continue
            if student_id is None:
                instructed.add(cohort_id)
            else:
                students.setdefault(cohort_id, set()).add(student_id)
        return cls(
            instructed_cohort_ids=frozenset(instructed),
            mentored_student_ids={
                cohort_id: frozenset(ids) for cohort_id, ids in students.items() if cohort_id not in instructed
            },
        )


# What a cached page of a person's cohorts' work (core/pagecache.py) depends on, per cohort they
# belong to: their role there, the versions its services bump in the transaction of a change,
# its creation instant (a re-created database never meets another's entries) and the cohort's
# own fields such pages show.
MEMBERSHIP_STAMP_FIELDS = (
    "cohort_id",
    "role",
    "cohort__grades_version",
    "cohort__works_version",
    "cohort__created_at",
    "cohort__name",
    "cohort__slug",
    "cohort__review_deadline_hours",
    # The schedule and course: a learner's mastery page answered before the middleware
    # (courseplatform/fast_path.py) is keyed by these stamps alone.
    "cohort__course_id",
    "cohort__start_date",
    "cohort__time_zone",
    "cohort__due_time",
    # The cohort page (cohorts/views.py, answered before the middleware too) shows these.
    "cohort__invitations_version",
    "cohort__late_policy",
)


class MembershipStamp(NamedTuple):
    cohort_id: int
    role: str
    grades_version: int
    works_version: int
    created_at: object  # the driver's value: only compared and shown in a key
    name: str
    slug: str
    review_deadline_hours: int
    course_id: int
    start_date: object  # the driver's values, as created_at
    time_zone: str
    due_time: object
    invitations_version: int
    late_policy: str


def membership_stamps(user: User) -> tuple[MembershipStamp, ...]:
    """One MembershipStamp per cohort the user belongs to, by cohort (one query). A page cached
    under these gets a new key when the person joins or leaves a cohort, changes role, or
    anything bumps a cohort's version: grades_version (cohort_grades_changed: work opened,
    submitted or decided, members and mentor assignments, extensions, calibration runs, …),
    works_version (cohort_works_changed: a draft saved). A page takes the fields it shows."""
    if not getattr(user, "is_authenticated", False):
        return ()
    return tuple(MembershipStamp(*row) for row in MEMBERSHIP_STAMPS.rows(user.pk))


# Read on every hit of a cached page: compiled once per process (courseplatform/viewer.py reads
# it in one statement with the person's user row). The values are the driver's (no model
# converters), which is all a cache key and roles_of_stamps need.
MEMBERSHIP_STAMPS = CompiledQuery(
    lambda user_id: Membership.objects.filter(user_id=user_id).order_by("cohort_id").values(*MEMBERSHIP_STAMP_FIELDS)
)


def stamp_of_cohort(stamps: Iterable[MembershipStamp], *, slug: str) -> MembershipStamp | None:
    """The viewer's stamp of the cohort with this slug, if they belong to it (no query)."""
    return next((stamp for stamp in stamps if stamp.slug == slug), None)


def stamp_of_cohort_row(cohort: Cohort, *, role: str | None) -> MembershipStamp:
    """A MembershipStamp made of a cohort row already read (no query), for a viewer who is no
    member of it (a platform admin: role None). Its values are the model's, not the driver's:
    it is only ever part of the full path's own key, never compared with membership_stamps'."""
    return MembershipStamp(*(_stamp_value(cohort, role, name) for name in MEMBERSHIP_STAMP_FIELDS))


def _stamp_value(cohort: Cohort, role: str | None, name: str) -> object:
    if name == "role":
        return role
    return getattr(cohort, name.removeprefix("cohort__").replace("cohort_id", "pk"))


def roles_of_stamps(stamps: Iterable[MembershipStamp]) -> set[str]:
    """roles_for_user's answer from membership_stamps' rows (no query)."""
    return {stamp.role for stamp in stamps}


def teaching_scope_parts(user: User) -> list[QuerySet]:
    """The rows of the user's TeachingScope as (cohort_id, student_id) value queries, to be
    read in one UNION ALL (a caller may add parts of its own, whose cohort_id is NULL):
    (cohort, NULL) for each cohort they instruct, (cohort, student) for each student they
    mentor there."""
    instructed = (
        Membership.objects.of(user=user)
        .instructors()
        .order_by()
        .values_list("cohort_id", Cast(Value(None), BigIntegerField()))
    )
    mentored = MentorAssignment.objects.filter(mentor=user).order_by().values_list("cohort_id", "student_id")
    return [instructed, mentored]


def teaching_scope(user: User) -> TeachingScope:
    """The user's TeachingScope as plain ids (one query, whatever the number of cohorts)."""
    if not getattr(user, "is_authenticated", False):
        return TeachingScope()
    first, *rest = teaching_scope_parts(user)
    return TeachingScope.from_rows(first.union(*rest, all=True))


def cohorts_for_user(user: User) -> QuerySet[Cohort]:
    if policies.is_platform_admin(user):
        return Cohort.objects.select_related("course").order_by("-start_date")
    # A subquery rather than a join on memberships: a join would also narrow every later
    # annotation over memberships to this user's own row (the member counts once said 0).
    return (
        Cohort.objects.filter(pk__in=Membership.objects.of(user=user).values("cohort_id"))
        .select_related("course")
        .order_by("-start_date")
    )


def cohorts_managed_by(user: User) -> QuerySet[Cohort]:
    """The cohorts `policies.can_manage_cohort` allows the user to manage, in one query: all
    for a platform admin, the ones they instruct for anyone else."""
    if policies.is_platform_admin(user):
        return Cohort.objects.select_related("course").order_by("-start_date")
    return (
        Cohort.objects.filter(pk__in=Membership.objects.instructed_cohort_ids(user=user))
        .select_related("course")
        .order_by("-start_date")
    )


def cohort_get_for_user(user: User, slug: str, *, with_viewer_role: bool = False) -> Cohort:
    """Fetch a cohort the user may see; 404 both when missing and when not allowed.

    `with_viewer_role` reads the viewer's role there in the same query and lets this instance
    answer the policies' role checks for this viewer (cohorts.policies.role_in) without asking
    again: for read-only pages, which check it two or three times (the gradebook, a learner's
    pages), and whose instance lives for one request, during which no role changes."""
    cohorts = Cohort.objects.select_related("course").filter(slug=slug)
    if with_viewer_role and user.is_authenticated:
        role = Membership.objects.filter(cohort=OuterRef("pk"), user=user.pk).values("role")[:1]
        cohorts = cohorts.annotate(viewer_role=Subquery(role))
    cohort = cohorts.first()
    if cohort is not None and with_viewer_role:
        policies.remember_role(user, cohort, getattr(cohort, "viewer_role", None))
    if cohort is None or not policies.can_view_cohort(user, cohort):
        raise Http404("No such cohort.")
    return cohort


def cohort_memberships(
    cohort: Cohort, *, with_students: bool = True, role: str | None = None, search: str = ""
) -> QuerySet[Membership]:
    """The cohort's members with their accounts, by role and e-mail; `with_students=False`
    is the list a viewer without the roster sees (who teaches); `search` keeps the people
    whose name or e-mail address contains it."""
    memberships = Membership.objects.filter(cohort=cohort).select_related("user").order_by("role", "user__email", "pk")
    if not with_students:
        memberships = memberships.exclude(role=Membership.Role.STUDENT)
    if role:
        memberships = memberships.filter(role=role)
    if search.strip():
        memberships = memberships.filter(name_or_email_contains(search, prefix="user__"))
    return memberships


def cohort_role_counts(cohort: Cohort) -> dict[str, int]:
    """How many people hold each role in the cohort, every role present (one query)."""
    counts = dict.fromkeys(Membership.Role.values, 0)
    counts.update(Membership.objects.filter(cohort=cohort).order_by().values_list("role").annotate(n=Count("pk")))
    return counts


def cohort_member(cohort: Cohort, user_id: int, *, role: str | None = None) -> User | None:
    """A person who holds any role (or this role) in the cohort, if the id is one."""
    # One filter() call: the role must be that of the membership in this cohort (two calls would
    # join memberships twice and accept a student of another cohort who teaches in this one).
    found = {"memberships__role": role} if role else {}
    return User.objects.filter(pk=user_id, memberships__cohort=cohort, **found).first()


def cohort_member_lookup(cohort: Cohort, text: str, *, role: str) -> list[User]:
    """The cohort's people in `role` that what someone typed (an e-mail address or part of a
    name) names: [] for nobody, [person] for one, two people when it is ambiguous (one
    query). An exact e-mail address always wins, then an exact name if only one person has
    it, so "Sam" finds Sam even when Samira is in the cohort too."""
    text = text.strip()
    if not text:
        return []
    rank = Case(When(email__iexact=text, then=Value(0)), When(name__iexact=text, then=Value(1)), default=Value(2))
    found = list(
        User.objects.filter(memberships__cohort=cohort, memberships__role=role)
        .filter(name_or_email_contains(text))
        .annotate(rank=rank)
        .order_by("rank", "email")[:2]
    )
    if len(found) == 2 and found[0].rank < found[1].rank:
        return found[:1]
    return found


def cohort_mentor_assignments(
    cohort: Cohort, *, mentor_id: int | None = None, search: str = ""
) -> QuerySet[MentorAssignment]:
    """Who mentors whom, by mentor; narrowed to one mentor, or to the assignments whose
    mentor or student matches `search` (name or e-mail), when asked."""
    assignments = (
        MentorAssignment.objects.filter(cohort=cohort)
        .select_related("mentor", "student")
        .order_by("mentor__email", "student__email", "pk")
    )
    if mentor_id is not None:
        assignments = assignments.filter(mentor_id=mentor_id)
    if search.strip():
        assignments = assignments.filter(
            name_or_email_contains(search, prefix="mentor__") | name_or_email_contains(search, prefix="student__")
        )
    return assignments


def cohort_mentor_loads(cohort: Cohort) -> QuerySet[Membership]:
    """The cohort's mentors, each with `student_count`: how many students they mentor there
    (one query; a subquery per mentor on the assignments' (cohort, mentor) index)."""
    assigned = (
        MentorAssignment.objects.filter(cohort=cohort, mentor=OuterRef("user_id"))
        .order_by()
        .values("mentor")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return (
        Membership.objects.filter(cohort=cohort)
        .mentors()
        .select_related("user")
        .annotate(student_count=Coalesce(Subquery(assigned, output_field=IntegerField()), 0))
        .order_by("user__email", "pk")
    )


def cohort_unmentored_student_count(cohort: Cohort) -> int:
    """How many of the cohort's students have no mentor there (one query)."""
    mentored = MentorAssignment.objects.filter(cohort=cohort, student=OuterRef("user_id"))
    return Membership.objects.filter(cohort=cohort).students().exclude(Exists(mentored)).count()


def cohort_extensions(cohort: Cohort, *, search: str = "") -> QuerySet[Extension]:
    """The cohort's extensions by week; only those of students whose name or e-mail contains
    `search` when given."""
    extensions = (
        Extension.objects.filter(cohort=cohort)
        .select_related("student", "week", "granted_by")
        .order_by("week__number", "pk")
    )
    if search.strip():
        extensions = extensions.filter(name_or_email_contains(search, prefix="student__"))
    return extensions


def due_dates(
    *,
    cohorts: Iterable[Cohort] | None = None,
    cohort: Cohort | None = None,
    student_ids: Iterable[int] | None = None,
    number: int | None = None,
) -> DueDates:
    """The due dates (extensions applied) of one cohort or several, optionally narrowed to
    some students and one week number: one query for the extensions, none when no student
    is asked for."""
    extensions = Extension.objects.all()
    if cohort is not None:
        extensions = extensions.filter(cohort=cohort)
    if cohorts is not None:
        extensions = extensions.filter(cohort_id__in=[c.pk for c in cohorts])
    if student_ids is not None:
        student_ids = list(student_ids)
        if not student_ids:
            return DueDates()
        extensions = extensions.filter(student_id__in=student_ids)
    if number is not None:
        extensions = extensions.filter(week__number=number)
    return DueDates(extensions.order_by().values_list("cohort_id", "student_id", "week__number", "due_at"))


def next_due_passing(cohort: Cohort, *, numbers: Iterable[int], now: datetime.datetime) -> datetime.datetime | None:
    """The first instant after `now` at which one of the cohort's due dates passes: the
    regular due date of one of these week numbers, or any student's extension (one query).
    Until then every "past due" of the cohort reads as it does at `now`, so what was computed
    from them (a cached gradebook page, insights/grid_cache.py) stays true until then."""
    regular = [week_window(cohort, number).due_at for number in set(numbers)]
    extended = Extension.objects.filter(cohort=cohort, due_at__gt=now).aggregate(first=Min("due_at"))["first"]
    return min((moment for moment in (*regular, extended) if moment is not None and moment > now), default=None)


def due_window(*, cohort: Cohort, student_id: int, number: int) -> WeekWindow:
    """One week's open and due instants for one student, their extension applied (one query)."""
    return due_dates(cohort=cohort, student_ids=[student_id], number=number).window(cohort, number, student_id)


def membership_get(cohort: Cohort, pk: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), pk=pk, cohort=cohort)


def mentor_assignment_get(cohort: Cohort, pk: int) -> MentorAssignment:
    return get_object_or_404(MentorAssignment.objects.select_related("mentor", "student"), pk=pk, cohort=cohort)


def extension_get(cohort: Cohort, pk: int) -> Extension:
    return get_object_or_404(Extension.objects.select_related("student", "week"), pk=pk, cohort=cohort)


def cohort_schedule(cohort: Cohort, student: User | None = None) -> list[tuple[Week, WeekWindow]]:
    """Each week of the cohort's course with its open and due instants, extensions applied
    when a student is given (two queries)."""
    due = due_dates(cohort=cohort, student_ids=[student.pk] if student is not None else [])
    weeks = Week.objects.for_course(cohort.course)
    return [(week, due.window(cohort, week.number, student.pk if student else None)) for week in weeks]


def student_membership(cohort: Cohort, student: User) -> Membership | None:
    return Membership.objects.of(user=student, cohort=cohort).students().first()


def _member_count(role: str) -> Subquery:
    members = Membership.objects.filter(cohort=OuterRef("pk"), role=role).order_by().values("cohort")
    return Subquery(members.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField())


def cohorts_with_member_counts(user: User) -> list[Cohort]:
    """The user's cohorts with how many students and mentors each has: the same figures for
    every viewer (one query, plus one for the viewer's own memberships)."""
    return list(
        cohorts_for_user(user)
        .annotate(
            student_count=Coalesce(_member_count(Membership.Role.STUDENT), 0),
            mentor_count=Coalesce(_member_count(Membership.Role.MENTOR), 0),
        )
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.filter(user=user), to_attr="my_memberships")
        )
    )


def next_invitation_expiring(cohort: Cohort, *, now: datetime.datetime) -> datetime.datetime | None:
    """The first instant after `now` at which one of the cohort's pending invitations expires
    (one query): until then the pending list reads as it does at `now` (an expiry writes no row,
    so no version says it), and a cached cohort page stays true until then."""
    pending = CohortInvitation.objects.filter(cohort=cohort).pending(now=now)
    return pending.aggregate(first=Min("expires_at"))["first"]


def cohort_pending_invitations(
    cohort: Cohort, *, search: str = "", now: datetime.datetime | None = None
) -> QuerySet[CohortInvitation]:
    """Invitations still waiting for their person (not accepted, revoked or expired) at `now`
    (default: the present); only the addresses containing `search` when given."""
    invitations = (
        CohortInvitation.objects.filter(cohort=cohort)
        .pending(now=now or timezone.now())
        .select_related("invited_by")
        .order_by("email", "pk")
    )
    if search.strip():
        invitations = invitations.filter(email__icontains=search.strip())
    return invitations


def invitation_get_by_token(token: str) -> CohortInvitation:
    """The invitation a link's token opens (whatever its state); 404 for an unknown token."""
    invitation = (
        CohortInvitation.objects.select_related("cohort__course", "invited_by")
        .filter(token_hash=CohortInvitation.hash_token(token))
        .first()
    )
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def invitation_get_for_manager(user: User, cohort: Cohort, pk: int) -> CohortInvitation:
    if not policies.can_invite(user, cohort):
        raise Http404("No such invitation.")
    return get_object_or_404(CohortInvitation, pk=pk, cohort=cohort)


def mentor_assignments_involving(cohort: Cohort, user: User) -> list[MentorAssignment]:
    """The cohort's mentor assignments where the person mentors or is mentored."""
    return list(
        MentorAssignment.objects.filter(cohort=cohort)
        .filter(Q(mentor=user) | Q(student=user))
        .select_related("mentor", "student")
        .order_by("pk")
    )
