from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.forms import service_error_text

from . import policies, selectors, services
from .forms import ExtensionGrantForm, MembershipAddForm, MentorAssignForm
from .models import Cohort, Membership


def _managed_cohort(request: HttpRequest, slug: str) -> Cohort:
    cohort = selectors.cohort_get_for_user(request.user, slug)
    if not policies.can_manage_cohort(request.user, cohort):
        raise Http404("No such cohort.")
    return cohort


@login_required
def cohort_list(request: HttpRequest) -> HttpResponse:
    cohorts = selectors.cohorts_with_member_counts(request.user)
    return render(request, "cohorts/cohort_list.html", {"cohorts": cohorts})


@login_required
def cohort_detail(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = selectors.cohort_get_for_user(request.user, slug)
    can_manage = policies.can_manage_cohort(request.user, cohort)
    memberships = selectors.cohort_memberships(cohort)
    my_role = next((m.role for m in memberships if m.user_id == request.user.pk), None)
    student = request.user if my_role == Membership.Role.STUDENT else None
    assignments = selectors.cohort_mentor_assignments(cohort)
    context = {
        "cohort": cohort,
        "my_role": my_role,
        "can_manage": can_manage,
        "schedule": selectors.cohort_schedule(cohort, student=student),
        "show_roster": policies.can_view_roster(request.user, cohort),
        "teachers": [m for m in memberships if m.role != Membership.Role.STUDENT],
        "memberships": memberships,
        "assignments": assignments,
        # Students whose dashboard and progress this viewer may open (the views check again).
        "followed_student_ids": {a.student_id for a in assignments if a.mentor_id == request.user.pk}
        if not can_manage
        else {m.user_id for m in memberships if m.role == Membership.Role.STUDENT},
    }
    if can_manage:
        context.update(
            extensions=selectors.cohort_extensions(cohort),
            add_form=MembershipAddForm(),
            assign_form=MentorAssignForm(memberships=memberships),
            extension_form=ExtensionGrantForm(cohort=cohort, memberships=memberships, prefix="extension"),
        )
    return render(request, "cohorts/cohort_detail.html", context)


def _apply(
    request: HttpRequest, cohort: Cohort, action: Callable[[], str], *, form=None, invalid: str = ""
) -> HttpResponse:
    """The management forms on the cohort page all work alike: check the form (when there is
    one), run the service, say what happened or why not as a message, and go back to the page.
    `action` runs the service and returns the success message; `invalid` replaces the form's
    own errors when they would not help."""
    if form is not None and not form.is_valid():
        messages.error(request, invalid or " ".join(e for errors in form.errors.values() for e in errors))
    else:
        try:
            done = action()
        except ValidationError as exc:
            messages.error(request, service_error_text(exc))
        else:
            messages.success(request, done)
    return redirect("cohorts:detail", slug=cohort.slug)


@login_required
@require_POST
def membership_add(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    form = MembershipAddForm(request.POST)

    def add() -> str:
        membership = services.membership_add(
            cohort=cohort, user=form.cleaned_data["email"], role=form.cleaned_data["role"]
        )
        return f"Added {membership.user.email} as {membership.get_role_display().lower()}."

    return _apply(request, cohort, add, form=form)


@login_required
@require_POST
def membership_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    membership = selectors.membership_get(cohort, pk)

    def remove() -> str:
        services.membership_remove(membership=membership)
        return f"Removed {membership.user.email} from {cohort}."

    return _apply(request, cohort, remove)


@login_required
@require_POST
def mentor_assign(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    form = MentorAssignForm(request.POST, memberships=selectors.cohort_memberships(cohort))

    def assign() -> str:
        services.mentor_assign(cohort=cohort, **form.cleaned_data)
        return f"{form.cleaned_data['mentor']} now mentors {form.cleaned_data['student']}."

    return _apply(request, cohort, assign, form=form, invalid="Choose a mentor and a student of this cohort.")


@login_required
@require_POST
def mentor_unassign(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    assignment = selectors.mentor_assignment_get(cohort, pk)

    def unassign() -> str:
        services.mentor_unassign(assignment=assignment)
        return "Mentor assignment removed."

    return _apply(request, cohort, unassign)


@login_required
@require_POST
def extension_grant(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    form = ExtensionGrantForm(
        request.POST, cohort=cohort, memberships=selectors.cohort_memberships(cohort), prefix="extension"
    )

    def grant() -> str:
        extension = services.extension_grant(cohort=cohort, granted_by=request.user, **form.cleaned_data)
        return f"Extended week {extension.week.number} for {extension.student}."

    return _apply(request, cohort, grant, form=form)


@login_required
@require_POST
def extension_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    extension = selectors.extension_get(cohort, pk)

    def revoke() -> str:
        services.extension_revoke(extension=extension)
        return "Extension withdrawn."

    return _apply(request, cohort, revoke)
