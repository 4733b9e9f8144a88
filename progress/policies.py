"""Who sees a learner's grades and mastery: the learner, their assigned mentors, the cohort's
instructors and platform admins (the same rule as the per-criterion progress page, which the
review app owns). Another student and a mentor of another cohort get a 404."""

from accounts.models import User
from cohorts.models import Cohort
from cohorts.selectors import cohort_get_for_user
from rubrics.policies import student_get_for_progress


def learner_get_for_progress(user: User, slug: str, student_id: int) -> tuple[Cohort, User]:
    """The cohort and the student whose grades and mastery the user may see; 404 for missing
    and forbidden alike."""
    cohort = cohort_get_for_user(user, slug, with_viewer_role=True)
    return cohort, student_get_for_progress(user, cohort, student_id)
