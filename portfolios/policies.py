"""Who may see a portfolio and download its proof artifacts. Views, exports and tests ask here.

Visitors never reach anything but published entries of a portfolio they may view: the
access functions below fetch and check together and raise the same Http404 for "missing"
and "forbidden", so guessing a slug or an id tells nothing.
"""

from django.http import Http404

from accounts.models import User
from cohorts.models import MentorAssignment
from cohorts.policies import is_platform_admin
from submissions.models import WeeklyWork

from .models import Portfolio, PortfolioEntry, PortfolioEntryArtifact


def is_owner(user: User, portfolio: Portfolio) -> bool:
    return user.is_authenticated and user.is_active and user.pk == portfolio.user_id


def is_assigned_mentor(user: User, student_id: int) -> bool:
    """A mentor assigned to the learner in any cohort."""
    if not user.is_authenticated or not user.is_active:
        return False
    return MentorAssignment.objects.filter(mentor=user, student_id=student_id).exists()


def may_see_private_portfolios(user: User) -> bool:
    """Only the signed-in can be a learner, their mentor or an admin: a visitor is refused
    every private portfolio without looking further (the public page answers them from its
    cached head alone)."""
    return user.is_authenticated


def can_view_portfolio(user: User, portfolio: Portfolio) -> bool:
    """Public and unlisted: anyone. Private: the learner, their assigned mentors, admins."""
    if portfolio.is_world_visible:
        return True
    return is_owner(user, portfolio) or is_platform_admin(user) or is_assigned_mentor(user, portfolio.user_id)


def can_download_entry_artifact(user: User, proof: PortfolioEntryArtifact) -> bool:
    """Only proofs of a published entry, of a portfolio the user may view."""
    return proof.entry.is_published and can_view_portfolio(user, proof.entry.portfolio)


def can_publish_work(user: User, work: WeeklyWork) -> bool:
    """The student publishes their own accepted work."""
    return (
        user.is_authenticated
        and user.is_active
        and user.pk == work.student_id
        and work.state == WeeklyWork.State.ACCEPTED
        and work.latest_revision_id is not None
    )


def portfolio_get_for_viewer(user: User, slug: str) -> Portfolio:
    """The portfolio behind /p/<slug>/, or Http404 for unknown and not-visible alike."""
    portfolio = Portfolio.objects.filter(slug=slug).first()
    if portfolio is None or not can_view_portfolio(user, portfolio):
        raise Http404("No such portfolio.")
    return portfolio


def proof_get_for_download(user: User, slug: str, pk: int) -> PortfolioEntryArtifact:
    """A proof artifact reachable from /p/<slug>/: it must belong to that portfolio, to a
    published entry, and the portfolio must be visible to the user."""
    proof = (
        PortfolioEntryArtifact.objects.select_related("entry__portfolio", "artifact")
        .filter(pk=pk, entry__portfolio__slug=slug)
        .first()
    )
    if proof is None or not can_download_entry_artifact(user, proof):
        raise Http404("No such file.")
    return proof


def work_get_for_publish(user: User, pk: int) -> WeeklyWork:
    work = (
        WeeklyWork.objects.select_related(
            "student", "cohort", "week", "deliverable__project", "deliverable__due_week", "latest_revision"
        )
        .filter(pk=pk)
        .first()
    )
    if work is None or not can_publish_work(user, work):
        raise Http404("No such accepted work.")
    return work


def entry_get_for_owner(user: User, pk: int) -> PortfolioEntry:
    """One of the learner's own entries (published or not); 404 for anyone else's."""
    entry = PortfolioEntry.objects.select_related("portfolio", "work").filter(pk=pk, portfolio__user=user).first()
    if entry is None:
        raise Http404("No such entry.")
    return entry
