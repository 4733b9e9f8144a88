"""What cohorts holds about a person (see core.privacy): memberships, mentor assignments and
due-date extensions, with their change history.

Erasure keeps memberships and assignments (they say which cohort's statistics the person's
grades count in, and the user row they point to is a pseudonym by then) and blanks the
free-text reason of every extension, in the rows and in their history, because a reason can
carry personal circumstances.
"""

from accounts.models import User
from core.privacy import DataProvider, Erasure, ExportArchive

from .models import Extension, Membership, MentorAssignment


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
            "extensions": [
                {"cohort": e.cohort.name, "week": e.week.number, "due_at": e.due_at.isoformat(), "reason": e.reason}
                for e in Extension.objects.filter(student=user).select_related("cohort", "week").order_by("pk")
            ],
        },
    )


def _erase(erasure: Erasure) -> None:
    user = erasure.user
    erasure.count(
        "extension reasons blanked", Extension.objects.filter(student=user).exclude(reason="").update(reason="")
    )
    erasure.count(
        "extension history reasons blanked",
        Extension.history.filter(student_id=user.pk).exclude(reason="").update(reason=""),
    )


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
    ),
    export=_export,
    erase=_erase,
)
