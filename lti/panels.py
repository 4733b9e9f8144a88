"""What the LTI app shows on pages of the apps below it (core/panels.py)."""

from django.db.models import Count, Q

from core.panels import Panel

from .models import Context, GradeSync
from .selectors import grades_panel_version


def grades_panel_key(*, cohort_id: int) -> str:
    """What grades_panel shows depends on, for a gradebook page cached whole: the version the
    LTI services bump when the cohort's LMS course or a grade sync's status changes (no query).
    The viewer (whose role decides the roster button) is in the page's key already."""
    return grades_panel_version(cohort_id)


def grades_panel(*, cohort, user, manages: bool, **kwargs) -> list[Panel]:
    """On the gradebook and heatmap of a cohort that is an LMS course: how many accepted
    scores went to the LMS, how many wait or failed, and the way to the sync page. One query
    (none of it for a cohort that is no LMS course but the same one query)."""
    statuses = GradeSync.Status
    row = (
        Context.objects.filter(cohort=cohort)
        .annotate(
            sent=Count("grade_syncs", filter=Q(grade_syncs__status=statuses.SENT)),
            failed=Count("grade_syncs", filter=Q(grade_syncs__status=statuses.FAILED)),
            waiting=Count(
                "grade_syncs",
                filter=Q(grade_syncs__status__in=[statuses.PENDING, statuses.SENDING, statuses.RETRYING]),
            ),
        )
        .values("platform__name", "title", "context_id", "sent", "failed", "waiting")
        .first()
    )
    if row is None:
        return []
    return [
        Panel(
            template="lti/_grades_panel.html",
            context={"cohort": cohort, "lms": row, "can_sync_roster": manages and user.is_active},
        )
    ]
