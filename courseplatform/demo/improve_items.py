"""Demo: the retrospective's improve items carried into the next week (docs/workspace.md).

For each demo student, in every week whose work is still open (a draft, or changes
requested) and that shows improve items, the student says what became of them: the first
done, the second carried forward (so it shows again the week after), the third dropped, and
the rest left unset, so the workspace, the scoring page and the cohort report show every status.
Through submissions.services.improve_item_set_status, like the page; idempotent (a status
already set is left as it is).
"""

from submissions import services
from submissions.models import ImproveItemStatus, WeeklyWork
from submissions.selectors import improve_items_for_work

from . import DemoContext

PLAN = [
    (ImproveItemStatus.Status.DONE, "Ran them on Tuesday; the re-run on Thursday caught a regression."),
    (ImproveItemStatus.Status.CARRIED, "Started, not finished: carrying it into next week."),
    (ImproveItemStatus.Status.DROPPED, "Not worth it for this lab; the template covers it."),
]


def seed(demo: DemoContext) -> None:
    if demo.cohort is None:
        return
    set_now = 0
    works = (
        WeeklyWork.objects.filter(
            cohort=demo.cohort,
            student__in=demo.students,
            week__isnull=False,
            state__in=WeeklyWork.EDITABLE_STATES,
        )
        .select_related("week", "cohort", "student")
        .order_by("student_id", "week__number")
    )
    for work in works:
        for item, (status, note) in zip(improve_items_for_work(work), PLAN, strict=False):
            if item.status:
                continue
            services.improve_item_set_status(work=work, key=item.key, status=status, note=note, by=work.student)
            set_now += 1
    demo.write(f"Improve items: {set_now} status(es) set (done, carried forward, dropped; some left unset).")
