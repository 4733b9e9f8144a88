"""Actions that change cohorts, memberships, mentor assignments and extensions."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from curriculum.models import Course, Week

from .models import Cohort, Extension, Membership, MentorAssignment
from .schedule import week_window


@transaction.atomic
def cohort_create(
    *, course: Course, name: str, slug: str, start_date: datetime.date, time_zone: str, **settings_values
) -> Cohort:
    cohort = Cohort(course=course, name=name, slug=slug, start_date=start_date, time_zone=time_zone, **settings_values)
    cohort.full_clean()
    cohort.save()
    return cohort


@transaction.atomic
def membership_ensure(*, cohort: Cohort, user: User, role: str) -> tuple[Membership, bool]:
    """Add a person to a cohort in one role, unless they hold it already; says whether they
    were added now. A person holds one role per cohort."""
    existing = Membership.objects.select_for_update().filter(cohort=cohort, user=user).first()
    if existing is not None:
        if existing.role == role:
            return existing, False
        raise ValidationError(
            {"user": f"{user.email} is already a {existing.get_role_display().lower()} in {cohort}; remove them first."}
        )
    membership = Membership(cohort=cohort, user=user, role=role)
    membership.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as exc:  # a concurrent request added them first
        raise ValidationError({"user": f"{user.email} is already a member of {cohort}."}) from exc
    return membership, True


def membership_add(*, cohort: Cohort, user: User, role: str) -> Membership:
    """membership_ensure for callers that do not care whether the person is new."""
    membership, _ = membership_ensure(cohort=cohort, user=user, role=role)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Remove a member and the mentor assignments that involved them in this cohort."""
    MentorAssignment.objects.filter(cohort=membership.cohort, mentor=membership.user).delete()
    MentorAssignment.objects.filter(cohort=membership.cohort, student=membership.user).delete()
    membership.delete()


def _require_role(cohort: Cohort, user: User, role: str, field: str) -> None:
    if Membership.objects.role_of(user=user, cohort=cohort) != role:
        raise ValidationError({field: f"{user.email} is not a {role} in {cohort}."})


@transaction.atomic
def mentor_assign(*, cohort: Cohort, mentor: User, student: User) -> MentorAssignment:
    _require_role(cohort, mentor, Membership.Role.MENTOR, "mentor")
    _require_role(cohort, student, Membership.Role.STUDENT, "student")
    assignment, _ = MentorAssignment.objects.get_or_create(cohort=cohort, mentor=mentor, student=student)
    return assignment


@transaction.atomic
def mentor_unassign(*, assignment: MentorAssignment) -> None:
    assignment.delete()


@transaction.atomic
def extension_grant(
    *, cohort: Cohort, student: User, week: Week, due_at: datetime.datetime, reason: str, granted_by: User | None
) -> Extension:
    """Give one student a later due date for one week; granting again moves it."""
    _require_role(cohort, student, Membership.Role.STUDENT, "student")
    if week.course_id != cohort.course_id:
        raise ValidationError({"week": "That week belongs to another course."})
    regular_due = week_window(cohort, week.number).due_at
    if due_at <= regular_due:
        raise ValidationError(
            {"due_at": f"An extension must end after the regular due date ({regular_due:%Y-%m-%d %H:%M %Z})."}
        )
    extension = Extension.objects.select_for_update().filter(cohort=cohort, student=student, week=week).first()
    if extension is None:
        extension = Extension(cohort=cohort, student=student, week=week)
    elif (extension.due_at, extension.reason) == (due_at, reason):
        return extension  # granting the same extension twice changes nothing
    extension.due_at, extension.reason, extension.granted_by = due_at, reason, granted_by
    extension.full_clean(validate_constraints=False)
    extension.save()
    return extension


@transaction.atomic
def extension_revoke(*, extension: Extension) -> None:
    extension.delete()
