"""What cohorts holds about a person (see core.privacy): memberships, mentor assignments and
due-date extensions, with their change history.

Erasure keeps memberships and assignments (they say which cohort's statistics the person's
grades count in, and the user row they point to is a pseudonym by then) and blanks the
free-text reason of every extension, in the rows and in their history, because a reason can
carry personal circumstances.
"""

from django.db import models

from accounts.models import User
from core.privacy import DataProvider, Erasure, ExportArchive

from .models import CohortInvitation, EndedMentorAssignment, Extension, Membership, MentorAssignment
from .services import cohort_grades_changed, cohort_invitations_changed


def _export(user: User, archive: ExportArchive) -> None:
    archive.add_json(
        "cohorts.json",
        {
            "memberships": [
                {"cohort": m.cohort.name, "role": m.role, "since": m.created_at.isoformat()}
                for m in Membership.objects.filter(user=user).select_related("cohort").order_by("created_at")
            ],
            "mentors": [
                {"cohort": a.cohort.name, "mentor": a.mentor.display_name}
                for a in MentorAssignment.objects.filter(student=user).select_related("cohort", "mentor")
            ],
            "mentees": [
                {"cohort": a.cohort.name, "student": a.student.display_name}
                for a in MentorAssignment.objects.filter(mentor=user).select_related("cohort", "student")
            ],
            "ended_mentor_assignments": [
                {"cohort": a.cohort.name, "mentor": a.mentor.display_name, "ended_at": a.ended_at.isoformat()}
                for a in EndedMentorAssignment.objects.filter(student=user).select_related("cohort", "mentor")
            ],
            "invitations": [
                {
                    "cohort": i.cohort.name,
                    "role": i.role,
                    "sent_at": i.created_at.isoformat(),
                    "accepted_at": i.accepted_at.isoformat() if i.accepted_at else None,
                }
                for i in CohortInvitation.objects.filter(email=user.email.lower()).select_related("cohort")
            ],
            "extensions": [
                {"cohort": e.cohort.name, "week": e.week.number, "due_at": e.due_at.isoformat(), "reason": e.reason}
                for e in Extension.objects.filter(student=user).select_related("cohort", "week").order_by("pk")
            ],
        },
    )


def _erase(erasure: Erasure) -> None:
    user = erasure.user
    # An invitation names the address it was sent to: it goes, whatever its state.
    invitations = CohortInvitation.objects.filter(
        models.Q(email__in=[s.lower() for s in (user.email, *erasure.former_strings) if s]) | models.Q(accepted_by=user)
    )
    # The cached cohort pages list pending invitations by address: the erased one must not
    # outlive the erasure there (the person may be no member, so grades_version below misses it).
    for cohort_id in set(invitations.values_list("cohort_id", flat=True)):
        cohort_invitations_changed(cohort_id=cohort_id)
    erasure.count("invitations deleted", invitations.delete()[0])
    erasure.count(
        "extension reasons blanked", Extension.objects.filter(student=user).exclude(reason="").update(reason="")
    )
    erasure.count(
        "extension history reasons blanked",
        Extension.history.filter(student_id=user.pk).exclude(reason="").update(reason=""),
    )
    # The gradebook's cached rows carry names: the former name must not outlive the erasure there.
    for cohort_id in Membership.objects.filter(user=user).values_list("cohort_id", flat=True):
        cohort_grades_changed(cohort_id=cohort_id, student_id=user.pk)


PROVIDER = DataProvider(
    label="Cohorts",
    models=(
        "cohorts.Membership",
        "cohorts.MentorAssignment",
        "cohorts.Extension",
        "cohorts.HistoricalMembership",
        "cohorts.HistoricalMentorAssignment",
        "cohorts.HistoricalExtension",
        "cohorts.HistoricalCohort",
        "cohorts.CohortInvitation",
        "cohorts.EndedMentorAssignment",
    ),
    export=_export,
    erase=_erase,
)
