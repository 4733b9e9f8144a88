"""What rubrics shows on pages other apps own (core/panels.py), registered in RubricsConfig.ready():

- the workspace (submissions.panels.WORKSPACE): at the top of a work whose latest revision got
  "changes requested", what the mentor asked: the decision, the overall feedback and each
  criterion's level and comment, with a link to the full feedback page;
- the scoring page (rubrics.panels.SCORING): the improve items of the student's last
  retrospective carried into this week, with the status the student set for each.

Each provider does a fixed number of queries (none when there is nothing to show). Neither
checks access again: the workspace is shown only to those who may view the work
(submissions.policies.work_get_for_user), which is what rubrics.policies.can_view_feedback
asks, and the scoring page only to those who may score it (policies.revision_get_for_scoring).
"""

from accounts.models import User
from core.panels import Panel
from submissions.models import Revision, WeeklyWork
from submissions.selectors import Workspace, improve_items_for_work

from .selectors import changes_requested_assessment


def what_was_asked(*, work: WeeklyWork, user: User, ws: Workspace) -> list[Panel]:
    """The mentor's request for changes on the latest revision (two queries: the assessment
    with its scorer, and its criterion scores with criterion and level)."""
    if work.state != WeeklyWork.State.CHANGES_REQUESTED or not work.latest_revision_id:
        return []
    assessment = changes_requested_assessment(work.latest_revision_id)
    if assessment is None:  # changes requested outside an assessment (an admin, an old row)
        return []
    return [
        Panel(
            "rubrics/panels/what_was_asked.html",
            {
                "assessment": assessment,
                "revision_number": ws.revisions[0].number if ws.revisions else None,
                "revision_id": work.latest_revision_id,
                "is_author": user.pk == work.student_id,
                "zone": ws.zone,
            },
            placement="top",
            order=10,
        )
    ]


def improve_items_for_scoring(*, revision: Revision, user: User) -> list[Panel]:
    """The improve items the student carried into the week being scored, with their statuses
    (two queries; none for week 1 and capstone deliverables)."""
    work = revision.work
    items = improve_items_for_work(work)
    if not items:
        return []
    return [
        Panel(
            "rubrics/panels/improve_items.html",
            {"items": items, "week_number": work.week.number},
            placement="top",
            order=60,
        )
    ]
