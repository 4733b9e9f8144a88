"""Where a person lands after signing in: composition, since the answer depends on roles
that cohorts hold and on pages that several apps own."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from cohorts.selectors import roles_for_user


@login_required
def after_sign_in(request: HttpRequest) -> HttpResponse:
    """Where a person lands after signing in: their own starting point, by role."""
    roles = roles_for_user(request.user)
    if "student" in roles:
        return redirect("submissions:dashboard")
    if roles & {"mentor", "instructor"}:
        return redirect("rubrics:queue")
    if request.user.is_staff:
        return redirect("curriculum:home")
    # In no cohort yet: the cohorts page says how to join one, and a name helps the
    # instructor who adds them recognise them.
    if not request.user.name.strip():
        messages.info(
            request,
            format_html(
                'Add your name on <a href="{}">your profile</a> so that instructors and mentors know who you are.',
                reverse("accounts:profile"),
            ),
        )
    return redirect("cohorts:list")
