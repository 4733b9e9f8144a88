"""Demo data of the faster scoring page: the first demo mentor has a draft assessment in
progress on the first revision of their review queue (three criteria scored, two comments,
overall feedback half written, no decision yet), so opening it shows the draft restored and
the running total waiting for the last two levels. Idempotent: a mentor who already has a
draft keeps it as it is."""

from courseplatform.demo import DemoContext
from rubrics.models import AssessmentDraft
from rubrics.selectors import review_queue, rubric_criteria, rubric_for_work
from rubrics.services import assessment_draft_save

COMMENTS = [
    "The options are named, but the trade-off between them has no numbers yet.",
    "",
    "Say which failure you expect first under load, and how you would see it.",
]
FEEDBACK = "Good start on the decision record. Before I decide: "


def seed(demo: DemoContext) -> None:
    if not demo.mentors:
        return
    mentor = demo.mentors[0]
    if AssessmentDraft.objects.filter(scorer=mentor).exists():
        return
    queue = review_queue(mentor)
    if not queue:
        return
    revision = queue[0].revision
    rubric = rubric_for_work(queue[0].work)
    if rubric is None:
        return
    levels = {}
    for criterion, comment in zip(rubric_criteria(rubric)[:3], COMMENTS, strict=False):
        second_best = sorted(criterion.levels.all(), key=lambda level: -level.points)[1]
        levels[criterion.pk] = (second_best.pk, comment)
    assessment_draft_save(revision=revision, scorer=mentor, levels=levels, feedback=FEEDBACK, now=demo.now)
    demo.write(f"Scoring: a draft assessment in progress by {mentor.email} on revision {revision.pk}")
