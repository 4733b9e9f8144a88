"""Actions that change cohorts, memberships, mentor assignments, extensions, invitations and
roster imports."""

import datetime
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_get_by_email
from curriculum.models import Course, Week

from . import emails
from .models import Cohort, CohortInvitation, EndedMentorAssignment, Extension, Membership, MentorAssignment
from .schedule import week_window
from .signals import student_changed


@transaction.atomic
def cohort_create(
    *, course: Course, name: str, slug: str, start_date: datetime.date, time_zone: str, **settings_values
) -> Cohort:
    cohort = Cohort(course=course, name=name, slug=slug, start_date=start_date, time_zone=time_zone, **settings_values)
    cohort.full_clean()
    cohort.save()
    return cohort


def cohort_grades_changed(*, cohort_id: int, student_id: int | None = None) -> None:
    """Say that what the cohort's gradebook, heatmap or at-risk marks show has changed: their
    cached renderings are keyed by Cohort.grades_version (insights/grid_cache.py). Called by
    every service that changes a cell's inputs (works, scores, members and mentors,
    extensions, retrospectives, the risk log, the at-risk rules), inside its transaction, so
    the new version commits with the change or not at all. An UPDATE, not save(): no history
    row, and no other field is written back.

    `student_id`: the student whose own record changed (a submission, a mentor's score, a
    retrospective, the risk log, their membership as a student). The apps above keep figures
    per student and refresh only that student's, in this same transaction
    (signals.student_changed). Changes that touch no student's record (mentors, extensions,
    the at-risk thresholds) name none: what depends on them is decided when it is read."""
    Cohort.objects.filter(pk=cohort_id).update(grades_version=models.F("grades_version") + 1)
    if student_id is not None:
        student_changed.send(sender=Cohort, cohort_id=cohort_id, student_id=student_id)


def cohort_works_changed(*, cohort_id: int) -> None:
    """Say that a work of the cohort changed in a way its grades do not show (a draft saved:
    its version, save time and updated time are in the works list). Cached lists of the
    cohort's work are keyed by Cohort.works_version as well as grades_version
    (core/pagecache.py); called inside the saving transaction, like cohort_grades_changed."""
    Cohort.objects.filter(pk=cohort_id).update(works_version=models.F("works_version") + 1)


def cohort_invitations_changed(*, cohort_id: int) -> None:
    """Say that the cohort's pending invitations changed (one created, replaced, revoked or
    accepted): the cached cohort page is keyed by Cohort.invitations_version (cohorts/views.py).
    Called inside the changing transaction, like cohort_grades_changed; an invitation that
    expires changes no row, so the page's entry expires with it instead."""
    Cohort.objects.filter(pk=cohort_id).update(invitations_version=models.F("invitations_version") + 1)


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
    _mentor_assignments_restore(membership)
    cohort_grades_changed(cohort_id=cohort.pk, student_id=user.pk if role == Membership.Role.STUDENT else None)
    return membership, True


def _mentor_assignments_restore(membership: Membership) -> list[MentorAssignment]:
    """Someone who left the cohort and comes back gets back the mentor assignments that ended
    when they left, where the other person is still a mentor (student) of the cohort."""
    cohort, user = membership.cohort, membership.user
    if membership.role == Membership.Role.STUDENT:
        ended = EndedMentorAssignment.objects.filter(
            cohort=cohort,
            student=user,
            mentor__in=Membership.objects.filter(cohort=cohort).mentors().values("user_id"),
        )
    elif membership.role == Membership.Role.MENTOR:
        ended = EndedMentorAssignment.objects.filter(
            cohort=cohort,
            mentor=user,
            student__in=Membership.objects.filter(cohort=cohort).students().values("user_id"),
        )
    else:
        return []
    restored = []
    for old in ended.select_related("mentor", "student"):
        assignment, _ = MentorAssignment.objects.get_or_create(cohort=cohort, mentor=old.mentor, student=old.student)
        restored.append(assignment)
        old.delete()
    return restored


def membership_add(*, cohort: Cohort, user: User, role: str) -> Membership:
    """membership_ensure for callers that do not care whether the person is new."""
    membership, _ = membership_ensure(cohort=cohort, user=user, role=role)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Remove a member. Their work stays untouched; the mentor assignments that involved them
    end and are kept, so that adding them back restores them (membership_ensure)."""
    involved = MentorAssignment.objects.filter(cohort=membership.cohort).filter(
        models.Q(mentor=membership.user) | models.Q(student=membership.user)
    )
    for assignment in involved:
        EndedMentorAssignment.objects.update_or_create(
            cohort=assignment.cohort,
            mentor_id=assignment.mentor_id,
            student_id=assignment.student_id,
            defaults={"started_at": assignment.created_at},
        )
    involved.delete()
    membership.delete()
    cohort_grades_changed(
        cohort_id=membership.cohort_id,
        student_id=membership.user_id if membership.role == Membership.Role.STUDENT else None,
    )


def _require_role(cohort: Cohort, user: User, role: str, field: str) -> None:
    if Membership.objects.role_of(user=user, cohort=cohort) != role:
        raise ValidationError({field: f"{user.email} is not a {role} in {cohort}."})


@transaction.atomic
def mentor_assign(*, cohort: Cohort, mentor: User, student: User) -> MentorAssignment:
    _require_role(cohort, mentor, Membership.Role.MENTOR, "mentor")
    _require_role(cohort, student, Membership.Role.STUDENT, "student")
    assignment, created = MentorAssignment.objects.get_or_create(cohort=cohort, mentor=mentor, student=student)
    if created:
        cohort_grades_changed(cohort_id=cohort.pk)
    return assignment


@transaction.atomic
def mentor_unassign(*, assignment: MentorAssignment) -> None:
    assignment.delete()
    cohort_grades_changed(cohort_id=assignment.cohort_id)


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
    cohort_grades_changed(cohort_id=cohort.pk)
    return extension


@transaction.atomic
def extension_revoke(*, extension: Extension) -> None:
    extension.delete()
    cohort_grades_changed(cohort_id=extension.cohort_id)


# Invitations ------------------------------------------------------------------------------


@transaction.atomic
def invitation_create(
    *,
    cohort: Cohort,
    email: str,
    role: str,
    invited_by: User | None,
    name: str = "",
    mentor_email: str = "",
) -> tuple[CohortInvitation, str]:
    """Invite an e-mail address to the cohort in a role and e-mail them the link (after the
    commit). Inviting an address again replaces its open invitation (the old link stops
    working). Returns the invitation and the link's token, which is stored only as a hash."""
    email = email.strip().lower()
    mentor_email = mentor_email.strip().lower()
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"Unknown role “{role}”: use student, mentor or instructor."})
    existing = Membership.objects.filter(cohort=cohort, user__email__iexact=email).first()
    if existing is not None:
        if existing.role == role:
            raise ValidationError({"email": f"{email} is already a {existing.get_role_display().lower()} in {cohort}."})
        raise ValidationError(
            {
                "email": f"{email} is already a {existing.get_role_display().lower()} in {cohort}; "
                f"remove them first to invite them as {Membership.Role(role).label.lower()}."
            }
        )
    if mentor_email and role != Membership.Role.STUDENT:
        raise ValidationError({"mentor_email": "Only a student can be given a mentor."})
    now = timezone.now()
    CohortInvitation.objects.select_for_update().filter(cohort=cohort, email=email).open().update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = CohortInvitation(
        cohort=cohort,
        email=email,
        role=role,
        name=name.strip()[:150],
        mentor_email=mentor_email,
        token_hash=CohortInvitation.hash_token(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + datetime.timedelta(days=settings.COHORT_INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    cohort_invitations_changed(cohort_id=cohort.pk)
    message = emails.invitation_email(invitation, token)
    # robust: a mail server that refuses must not turn a saved invitation into an error page;
    # the instructor can invite again, which replaces the link.
    transaction.on_commit(message.send, robust=True)
    return invitation, token


@transaction.atomic
def invitation_revoke(*, invitation: CohortInvitation) -> None:
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has been accepted already; remove the member instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        cohort_invitations_changed(cohort_id=invitation.cohort_id)


@transaction.atomic
def invitation_accept(*, invitation: CohortInvitation, user: User) -> tuple[Membership, list[MentorAssignment]]:
    """The signed-in person whose address was invited joins the cohort in the invited role;
    the link is used up. Returns the membership and the mentor assignments it brought."""
    invitation = CohortInvitation.objects.select_for_update().select_related("cohort").get(pk=invitation.pk)
    status = invitation.status_at(timezone.now())
    if status != CohortInvitation.Status.PENDING:
        raise ValidationError(f"This invitation is {CohortInvitation.Status(status).label.lower()}.")
    if user.email.lower() != invitation.email:
        raise ValidationError(
            f"This invitation is for {invitation.email}, but you are signed in as {user.email}. "
            "Sign out and sign in (or create an account) with the invited address."
        )
    cohort = invitation.cohort
    membership, _ = membership_ensure(cohort=cohort, user=user, role=invitation.role)
    assignments = list(
        MentorAssignment.objects.filter(cohort=cohort, student=user).select_related("mentor")
        if invitation.role == Membership.Role.STUDENT
        else []
    )
    if invitation.mentor_email:
        mentor = user_get_by_email(invitation.mentor_email)
        if mentor is not None and Membership.objects.is_mentor(user=mentor, cohort=cohort):
            assignment, created = MentorAssignment.objects.get_or_create(cohort=cohort, mentor=mentor, student=user)
            if created:
                assignments.append(assignment)
                cohort_grades_changed(cohort_id=cohort.pk)
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    # Even when membership_ensure added nobody (already a member in that role): the invitation
    # leaves the pending list.
    cohort_invitations_changed(cohort_id=cohort.pk)
    return membership, assignments


# Roster import ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterResult:
    added: int
    invited: int
    mentors_assigned: int
    unchanged: int

    @property
    def changed(self) -> bool:
        return bool(self.added or self.invited or self.mentors_assigned)


@transaction.atomic
def roster_import(*, cohort: Cohort, rows: list[dict], invited_by: User | None) -> RosterResult:
    """Apply a checked roster (cohorts.roster.roster_check) to the cohort: existing accounts
    become members, unknown addresses are invited, mentors are assigned where given. Running
    the same file again changes nothing (an address with an open invitation in the same role
    is not invited again)."""
    added = invited = assigned = unchanged = 0
    now = timezone.now()
    # Mentors first, so students in the same file can be assigned to them.
    for row in sorted(rows, key=lambda r: r["role"] != Membership.Role.MENTOR):
        user = user_get_by_email(row["email"])
        if user is not None:
            _, created = membership_ensure(cohort=cohort, user=user, role=row["role"])
            added += created
            unchanged += not created
            if row.get("mentor_email") and row["role"] == Membership.Role.STUDENT:
                mentor = user_get_by_email(row["mentor_email"])
                if mentor is not None and Membership.objects.is_mentor(user=mentor, cohort=cohort):
                    _, made = MentorAssignment.objects.get_or_create(cohort=cohort, mentor=mentor, student=user)
                    assigned += made
                    if made:
                        cohort_grades_changed(cohort_id=cohort.pk)
            continue
        pending = CohortInvitation.objects.filter(cohort=cohort, email=row["email"]).pending(now=now).first()
        if pending is not None and (pending.role, pending.mentor_email) == (row["role"], row.get("mentor_email", "")):
            unchanged += 1
            continue
        invitation_create(
            cohort=cohort,
            email=row["email"],
            role=row["role"],
            name=row.get("name", ""),
            mentor_email=row.get("mentor_email", ""),
            invited_by=invited_by,
        )
        invited += 1
    return RosterResult(added=added, invited=invited, mentors_assigned=assigned, unchanged=unchanged)
