"""Reads of the LTI app: the launch waiting in the session, where a launch leads."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from cohorts.models import Cohort

from .claims import Launch
from .models import ResourceLink

PENDING_SESSION_KEY = "lti.launch"


def pending_launch(request: HttpRequest) -> Launch | None:
    data = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return Launch.from_session(data)
    except TypeError:  # a session from an older shape of the launch
        return None


def destination(*, role: str, cohort: Cohort, link: ResourceLink) -> str:
    """A learner lands in the workspace of the week (or deliverable) the link opens, or their
    dashboard for a link without one; a mentor in the review queue; an instructor in the
    cohort's gradebook."""
    if role == "student":
        if link.week_id:
            return reverse("submissions:open_week", kwargs={"slug": cohort.slug, "number": link.week.number})
        if link.deliverable_id:
            return reverse(
                "submissions:open_deliverable", kwargs={"slug": cohort.slug, "deliverable_id": link.deliverable_id}
            )
        return reverse("submissions:dashboard_cohort", kwargs={"slug": cohort.slug})
    if role == "mentor":
        return reverse("rubrics:queue")
    return reverse("insights:gradebook", kwargs={"slug": cohort.slug})
