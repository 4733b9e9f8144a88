import datetime
import zoneinfo
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from core import pagecache
from core.forms import service_error_text

from . import policies, selectors, services
from .forms import ExtensionGrantForm, InvitationForm, MembershipAddForm, MentorAssignForm, RosterUploadForm
from .models import Cohort, CohortInvitation, Membership
from .roster import ERROR, roster_check
from .schedule import week_window


def _managed_cohort(request: HttpRequest, slug: str) -> Cohort:
    cohort = selectors.cohort_get_for_user(request.user, slug)
    if not policies.can_manage_cohort(request.user, cohort):
        raise Http404("No such cohort.")
    return cohort


@login_required
def cohort_list(request: HttpRequest) -> HttpResponse:
    cohorts = selectors.cohorts_with_member_counts(request.user)
    return render(request, "cohorts/cohort_list.html", {"cohorts": cohorts})


# Every list on the cohort page shows this many rows at a time, so the page's size and its
# number of queries stay the same at 5 students and at 3,334.
PAGE_SIZE = 50
SEARCH_MAX_CHARS = 100
SUGGESTIONS = 10  # matches offered by a person picker's <datalist>


def _text(request: HttpRequest, name: str) -> str:
    return request.GET.get(name, "").strip()[:SEARCH_MAX_CHARS]


def _link(request: HttpRequest, anchor: str, **changes) -> str:
    """The page's address with some query parameters changed (None removes one), so that
    paging or filtering one list keeps the others where they were."""
    query = request.GET.copy()
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return f"?{query.urlencode()}#{anchor}"


def _page(request: HttpRequest, items, param: str, anchor: str, *, count: int | None = None):
    """One page of a list, with the links to the pages before and after it; a missing or bad
    page number gives the first or the last page. `count`, when the caller already knows
    how many items there are, saves the paginator's COUNT query."""
    paginator = Paginator(items, PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached_property: this is the value it would compute
    page = paginator.get_page(request.GET.get(param))
    page.previous_url = _link(request, anchor, **{param: page.previous_page_number()}) if page.has_previous() else ""
    page.next_url = _link(request, anchor, **{param: page.next_page_number()}) if page.has_next() else ""
    return page


def _detail_context(
    request: HttpRequest, cohort: Cohort, *, now: datetime.datetime | None = None, **bound_forms
) -> dict:
    """What the cohort page shows (the pending invitations as at `now`, default the present);
    `bound_forms` replace the blank management forms with refused ones, so their errors appear
    beside their fields."""
    user = request.user
    access = policies.cohort_access(user, cohort)
    can_manage, show_roster, my_role = access.can_manage, access.can_view_roster, access.role
    role_counts = selectors.cohort_role_counts(cohort)
    role = request.GET.get("role", "")
    if not show_roster or role not in Membership.Role.values:
        role = ""
    search = _text(request, "q") if show_roster else ""
    members = selectors.cohort_memberships(cohort, with_students=show_roster, role=role or None, search=search)
    if search:
        known = None
    elif role:
        known = role_counts[role]
    else:
        known = sum(role_counts.values()) - (0 if show_roster else role_counts[Membership.Role.STUDENT])
    people = _page(request, members, "page", "people", count=known)
    if can_manage:
        followed = {m.user_id for m in people if m.role == Membership.Role.STUDENT}
    elif show_roster:
        followed = set(selectors.teaching_scope(user).mentored_student_ids.get(cohort.pk, ()))
    else:
        followed = set()
    context = {
        "cohort": cohort,
        "my_role": my_role,
        "can_manage": can_manage,
        "schedule": selectors.cohort_schedule(cohort, student=user if my_role == Membership.Role.STUDENT else None),
        "show_roster": show_roster,
        "role_counts": role_counts,
        "member_count": sum(role_counts.values()),
        "teacher_count": role_counts[Membership.Role.MENTOR] + role_counts[Membership.Role.INSTRUCTOR],
        "roles": Membership.Role.choices,
        "role": role,
        "search": search,
        "people": people,
        # Students whose dashboard and progress this viewer may open (the views check again).
        "followed_student_ids": followed,
    }
    if show_roster:
        mentor_id = request.GET.get("mentor", "")
        mentor = (
            selectors.cohort_member(cohort, int(mentor_id), role=Membership.Role.MENTOR)
            if mentor_id.isdigit() and len(mentor_id) < 19
            else None
        )
        assignment_search = _text(request, "aq")
        context.update(
            mentor_loads=_page(request, selectors.cohort_mentor_loads(cohort), "mpage", "mentors"),
            unmentored_count=selectors.cohort_unmentored_student_count(cohort),
            mentor_filter=mentor,
            assignment_search=assignment_search,
            assignments=_page(
                request,
                selectors.cohort_mentor_assignments(
                    cohort, mentor_id=mentor.pk if mentor else None, search=assignment_search
                ),
                "apage",
                "assignments",
            ),
        )
    if can_manage:
        extension_search = _text(request, "eq")
        invitation_search = _text(request, "iq")
        context.update(
            extension_search=extension_search,
            extensions=_page(
                request, selectors.cohort_extensions(cohort, search=extension_search), "epage", "extensions"
            ),
            invitation_search=invitation_search,
            invitations=_page(
                request,
                selectors.cohort_pending_invitations(cohort, search=invitation_search, now=now),
                "ipage",
                "invitations",
            ),
            # A prefix: the add-member form has fields of the same names on the same page.
            invite_form=InvitationForm(prefix="invite"),
            add_form=MembershipAddForm(),
            assign_form=MentorAssignForm(cohort=cohort),
            extension_form=ExtensionGrantForm(cohort=cohort, prefix="extension"),
        )
        context.update(bound_forms)
    return context


# The query parameters the cohort page reads (_detail_context): only these are kept in the cache.
DETAIL_QUERY = ("role", "q", "page", "mentor", "aq", "mpage", "apage", "epage", "eq", "ipage", "iq")


def cohort_fast_parts(*, user: User, stamps: tuple[selectors.MembershipStamp, ...], slug: str) -> tuple | None:
    """What decides the cohort page besides the viewer's user row, its URL and the layout, so
    that courseplatform/fast_path.py answers a repeat with these alone (no query): the viewer's
    stamp of the cohort (their role, which decides what they see; grades_version, bumped by
    every member, mentor assignment and extension change; invitations_version; the cohort's
    fields the page shows) and whether they are a platform admin (who manages every cohort).
    None for a cohort the viewer is no member of (an admin's view: the full path)."""
    stamp = selectors.stamp_of_cohort(stamps, slug=slug)
    return None if stamp is None else (stamp, policies.is_platform_admin(user))


@login_required
def cohort_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The cohort page, kept whole by core.pagecache per viewer and query string until the
    viewer's stamp of the cohort changes (members, mentors, extensions: grades_version; the
    invitations: invitations_version; the cohort's own fields; their role) or the next pending
    invitation expires, at most pagecache.MAX_SECONDS (a person renaming themselves)."""
    # Read before the cohort, so that the fast key is never newer than the page's own.
    fast = cohort_fast_parts(user=request.user, stamps=selectors.membership_stamps(request.user), slug=slug)
    cohort = selectors.cohort_get_for_user(request.user, slug, with_viewer_role=True)
    # A platform admin who is no member: the cohort row just read holds every version the page
    # depends on (the roles it shows come with grades_version), so it keys their page too.
    parts = fast
    if parts is None and policies.is_platform_admin(request.user):
        parts = (selectors.stamp_of_cohort_row(cohort, role=None), True)
    key = None
    if parts is not None and pagecache.query_is(request, DETAIL_QUERY):
        key = pagecache.page_key(request, "cohort-detail", parts)

    def build() -> pagecache.BuildResult:
        now = timezone.now()
        context = _detail_context(request, cohort, now=now)
        until = selectors.next_invitation_expiring(cohort, now=now) if context["can_manage"] else None
        return pagecache.render(request, "cohorts/cohort_detail.html", context), until

    return pagecache.respond(request, key, build, fast=fast)


@login_required
def people_search(request: HttpRequest, slug: str) -> JsonResponse:
    """Suggestions for the person pickers (a <datalist>): the first matches of `q` among the
    cohort's people in `role`, for those who may see the roster; 404 for anyone else."""
    cohort = selectors.cohort_get_for_user(request.user, slug)
    if not policies.can_view_roster(request.user, cohort):
        raise Http404("No such cohort.")
    role = request.GET.get("role", "")
    search = _text(request, "q")
    if role not in Membership.Role.values or len(search) < 2:
        return JsonResponse({"results": []})
    found = selectors.cohort_memberships(cohort, role=role, search=search)[:SUGGESTIONS]
    return JsonResponse(
        {"results": [{"email": m.user.email, "name": m.user.display_name} for m in found]},
        headers={"Cache-Control": "private, no-store"},
    )


def _apply(
    request: HttpRequest, cohort: Cohort, action: Callable[[], str], *, form=None, form_name: str = ""
) -> HttpResponse:
    """The management forms on the cohort page all work alike: check the form (when there is
    one), run the service, say what happened or why not as a message, and go back to the page.
    `action` runs the service and returns the success message. A refused form shows the page
    again (400) with the form's errors beside its fields and what was typed kept."""
    if form is not None and not form.is_valid():
        context = _detail_context(request, cohort, **{form_name: form})
        return render(request, "cohorts/cohort_detail.html", context, status=400)
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
        membership, created = services.membership_ensure(
            cohort=cohort, user=form.cleaned_data["email"], role=form.cleaned_data["role"]
        )
        done = f"Added {membership.user.email} as {membership.get_role_display().lower()}."
        if not created:
            return f"{membership.user.email} is already a {membership.get_role_display().lower()}."
        restored = selectors.mentor_assignments_involving(cohort, membership.user)
        if restored:
            done += (
                " Restored mentor: "
                + "; ".join(f"{a.mentor.display_name} mentors {a.student.display_name}" for a in restored)
                + "."
            )
        return done

    return _apply(request, cohort, add, form=form, form_name="add_form")


def _confirm(request: HttpRequest, cohort: Cohort, *, title: str, consequences: list[str], button: str) -> HttpResponse:
    """The page a destructive action shows on GET: what will happen, and the button that POSTs."""
    return render(
        request,
        "cohorts/confirm.html",
        {"cohort": cohort, "title": title, "consequences": consequences, "button": button},
    )


@login_required
@require_http_methods(["GET", "POST"])
def membership_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    membership = selectors.membership_get(cohort, pk)
    if request.method == "GET":
        consequences = [
            f"{membership.user.display_name} ({membership.user.email}) loses access to {cohort}.",
            "Their work, revisions and feedback are kept untouched.",
        ]
        if membership.role in (Membership.Role.STUDENT, Membership.Role.MENTOR):
            consequences.append("Their mentor assignments end; adding them back restores them.")
        return _confirm(
            request,
            cohort,
            title=f"Remove {membership.user.display_name} from {cohort}?",
            consequences=consequences,
            button="Remove member",
        )

    def remove() -> str:
        services.membership_remove(membership=membership)
        return f"Removed {membership.user.email} from {cohort}."

    return _apply(request, cohort, remove)


@login_required
@require_POST
def mentor_assign(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    form = MentorAssignForm(request.POST, cohort=cohort)

    def assign() -> str:
        services.mentor_assign(cohort=cohort, **form.cleaned_data)
        return f"{form.cleaned_data['mentor']} now mentors {form.cleaned_data['student']}."

    return _apply(request, cohort, assign, form=form, form_name="assign_form")


@login_required
@require_http_methods(["GET", "POST"])
def mentor_unassign(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    assignment = selectors.mentor_assignment_get(cohort, pk)
    if request.method == "GET":
        return _confirm(
            request,
            cohort,
            title=f"Unassign {assignment.mentor.display_name} from {assignment.student.display_name}?",
            consequences=[
                f"{assignment.mentor.display_name} stops reviewing and following "
                f"{assignment.student.display_name}'s work in {cohort}.",
                "Reviews already given are kept.",
            ],
            button="Unassign mentor",
        )

    def unassign() -> str:
        services.mentor_unassign(assignment=assignment)
        return "Mentor assignment removed."

    return _apply(request, cohort, unassign)


@login_required
@require_POST
def extension_grant(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    form = ExtensionGrantForm(request.POST, cohort=cohort, prefix="extension")

    def grant() -> str:
        extension = services.extension_grant(cohort=cohort, granted_by=request.user, **form.cleaned_data)
        return f"Extended week {extension.week.number} for {extension.student}."

    return _apply(request, cohort, grant, form=form, form_name="extension_form")


@login_required
@require_http_methods(["GET", "POST"])
def extension_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    extension = selectors.extension_get(cohort, pk)
    if request.method == "GET":
        regular = week_window(cohort, extension.week.number).due_at
        return _confirm(
            request,
            cohort,
            title=f"Withdraw {extension.student.display_name}'s extension for week {extension.week.number}?",
            consequences=[
                "Week {n} is due again at the regular time, {due} ({tz}).".format(
                    n=extension.week.number,
                    due=timezone.localtime(regular, zoneinfo.ZoneInfo(cohort.time_zone)).strftime("%a %-d %b, %H:%M"),
                    tz=cohort.time_zone,
                ),
                "Work submitted after that is late under the cohort's late policy.",
            ],
            button="Withdraw extension",
        )

    def revoke() -> str:
        services.extension_revoke(extension=extension)
        return "Extension withdrawn."

    return _apply(request, cohort, revoke)


@login_required
@require_POST
def invitation_create(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    form = InvitationForm(request.POST, prefix="invite")

    def invite() -> str:
        invitation, _ = services.invitation_create(cohort=cohort, invited_by=request.user, **form.cleaned_data)
        return f"Invitation e-mailed to {invitation.email} as {invitation.get_role_display().lower()}."

    return _apply(request, cohort, invite, form=form, form_name="invite_form")


@login_required
@require_http_methods(["GET", "POST"])
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    invitation = selectors.invitation_get_for_manager(request.user, cohort, pk)
    if request.method == "GET":
        return _confirm(
            request,
            cohort,
            title=f"Revoke the invitation of {invitation.email}?",
            consequences=["The link in their e-mail stops working. You can invite them again later."],
            button="Revoke invitation",
        )

    def revoke() -> str:
        services.invitation_revoke(invitation=invitation)
        return f"Invitation of {invitation.email} revoked."

    return _apply(request, cohort, revoke)


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation link opens: GET says what it is for, POST accepts it."""
    invitation = selectors.invitation_get_by_token(token)
    status = invitation.status_at(timezone.now())
    context = {"invitation": invitation, "cohort": invitation.cohort, "status": status, "error": ""}
    if status != CohortInvitation.Status.PENDING:
        return render(request, "cohorts/invitation.html", context, status=410)
    user = request.user
    context["wrong_account"] = user.is_authenticated and user.email.lower() != invitation.email
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")
        try:
            membership, assignments = services.invitation_accept(invitation=invitation, user=user)
        except ValidationError as exc:
            context["error"] = service_error_text(exc)
            return render(request, "cohorts/invitation.html", context, status=400)
        done = f"Welcome to {membership.cohort}: you are a {membership.get_role_display().lower()}."
        if assignments:
            done += " Your mentor: " + ", ".join(a.mentor.display_name for a in assignments) + "."
        messages.success(request, done)
        return redirect("cohorts:detail", slug=membership.cohort.slug)
    return render(request, "cohorts/invitation.html", context)


ROSTER_SESSION_KEY = "cohorts.roster"


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a roster CSV and see what importing it would do; nothing is imported here. The
    checked rows wait in the (server-side) session for the confirm step."""
    cohort = _managed_cohort(request, slug)
    lines = None
    if request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read(settings.ROSTER_IMPORT_MAX_BYTES + 1)
            try:
                lines = roster_check(cohort, data)
            except ValidationError as exc:
                form.add_error("file", exc)
    else:
        form = RosterUploadForm()
    has_errors = lines is not None and any(line.status == ERROR for line in lines)
    if lines is not None and not has_errors:
        request.session[f"{ROSTER_SESSION_KEY}.{cohort.pk}"] = [line.as_row() for line in lines]
    else:
        request.session.pop(f"{ROSTER_SESSION_KEY}.{cohort.pk}", None)
    context = {
        "cohort": cohort,
        "form": form,
        "lines": lines,
        "has_errors": has_errors,
        "error_count": sum(line.status == ERROR for line in lines or []),
        "max_rows": settings.ROSTER_IMPORT_MAX_ROWS,
    }
    return render(request, "cohorts/roster_import.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def roster_import_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _managed_cohort(request, slug)
    rows = request.session.pop(f"{ROSTER_SESSION_KEY}.{cohort.pk}", None)
    if not rows:
        messages.error(request, "Nothing to import: upload the roster again and check the preview.")
        return redirect("cohorts:roster_import", slug=cohort.slug)
    try:
        result = services.roster_import(cohort=cohort, rows=rows, invited_by=request.user)
    except ValidationError as exc:
        messages.error(request, f"Nothing was imported: {service_error_text(exc)}")
        return redirect("cohorts:roster_import", slug=cohort.slug)
    if result.changed:
        messages.success(
            request,
            f"Roster imported: {result.added} added, {result.invited} invited, "
            f"{result.mentors_assigned} mentor assignments, {result.unchanged} already there.",
        )
    else:
        messages.info(request, f"Nothing changed: all {result.unchanged} people in the file were already there.")
    return redirect("cohorts:detail", slug=cohort.slug)
