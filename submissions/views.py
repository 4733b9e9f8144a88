"""Pages of the student workspace: dashboard, week workspace, revisions and diffs, and
file downloads. Every view fetches through an access function from policies.py."""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from cohorts.models import Membership
from cohorts.schedule import week_window
from cohorts.selectors import cohort_get_for_user
from core.forms import add_service_errors, service_error_text
from core.storage import StorageUnavailable
from curriculum.selectors import course_deliverable, course_week

from . import policies, previews, selectors, services
from .content import readable
from .downloads import artifact_file_response
from .forms import (
    ArtifactLinkForm,
    ArtifactUploadForm,
    ImproveItemStatusForm,
    RiskCloseForm,
    RiskEntryForm,
    WorkspaceForm,
)
from .models import Artifact, WeeklyWork
from .panels import REVISION, WORKSPACE

AUTOSAVE_HEADER = "X-Autosave"


# --- Dashboard ---------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest, slug: str | None = None, student_id: int | None = None) -> HttpResponse:
    own_cohorts = selectors.student_cohorts(request.user)
    if student_id is not None:
        cohort = cohort_get_for_user(request.user, slug)
        student = get_object_or_404(User, pk=student_id)
        if not policies.can_view_dashboard_of(request.user, cohort, student) or not Membership.objects.is_student(
            user=student, cohort=cohort
        ):
            raise Http404("No such student.")
    else:
        student = request.user
        if slug is None:
            if not own_cohorts:
                return render(request, "submissions/no_cohort.html")
            cohort = own_cohorts[0]
        else:
            cohort = next((c for c in own_cohorts if c.slug == slug), None)
            if cohort is None:
                raise Http404("No such cohort.")
    data = selectors.dashboard_for(student, cohort)
    return render(
        request,
        "submissions/dashboard.html",
        {
            "d": data,
            "is_own": student.pk == request.user.pk,
            "other_cohorts": [c for c in own_cohorts if c.pk != cohort.pk] if student.pk == request.user.pk else [],
        },
    )


# --- Opening a work ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def work_open_week(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """A started week opens its workspace. One not started yet shows what it asks and a Start
    button: a GET only shows (the dashboard's links, a link crawler or an e-mail preview must
    not turn "Not started" into "Draft" in the gradebook), the POST starts the work. A week
    that has not opened says when it opens; starting it early is the same POST."""
    cohort = cohort_get_for_user(request.user, slug)
    week = course_week(cohort.course, number)
    if week is None:
        raise Http404("No such week.")
    if not Membership.objects.is_student(user=request.user, cohort=cohort):
        raise Http404("Only students of this cohort have a workspace.")
    work = selectors.existing_work(request.user, cohort, week=week)
    if work is None:
        if request.method != "POST":
            window = week_window(cohort, number)
            return render(
                request,
                "submissions/week_start.html",
                {
                    "cohort": cohort,
                    "week": week,
                    "opens_at": window.opens_at if timezone.now() < window.opens_at else None,
                    "due_at": window.due_at,
                    "zone": ZoneInfo(cohort.time_zone),
                },
            )
        try:
            work = services.work_get_or_create(student=request.user, cohort=cohort, week=week)
        except ValidationError:
            raise Http404("Only students of this cohort have a workspace.") from None
    return redirect("submissions:work", pk=work.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def work_open_deliverable(request: HttpRequest, slug: str, deliverable_id: int) -> HttpResponse:
    """A started deliverable opens its workspace. One not started yet shows what it asks and a
    Start button: a GET only shows (a link crawler or e-mail preview must not turn "Not
    started" into "Draft"), the POST starts the work."""
    cohort = cohort_get_for_user(request.user, slug)
    deliverable = course_deliverable(cohort.course, deliverable_id)
    if deliverable is None:
        raise Http404("No such deliverable.")
    if not Membership.objects.is_student(user=request.user, cohort=cohort):
        raise Http404("Only students of this cohort have a workspace.")
    work = selectors.existing_work(request.user, cohort, deliverable=deliverable)
    if work is None:
        if request.method != "POST":
            return render(request, "submissions/deliverable_start.html", {"cohort": cohort, "deliverable": deliverable})
        try:
            work = services.work_get_or_create(student=request.user, cohort=cohort, deliverable=deliverable)
        except ValidationError:
            raise Http404("Only students of this cohort have a workspace.") from None
    return redirect("submissions:work", pk=work.pk)


# --- Workspace ---------------------------------------------------------------------------


def _workspace_response(
    request, work, *, form=None, status=200, upload_form=None, link_form=None, risk_form=None, improve_form=None
):
    ws = selectors.workspace_for(work, request.user)
    can_edit = policies.can_edit_work(request.user, work)
    if can_edit and form is None:
        form = WorkspaceForm(work=work, objectives=ws.objectives, gates=ws.gates, retrospective=ws.retrospective)
    improve_rows = [
        (
            item,
            (improve_form if improve_form is not None and improve_form.item.key == item.key else None)
            or (ImproveItemStatusForm(item=item) if can_edit else None),
        )
        for item in ws.improve_items
    ]
    context = {
        "ws": ws,
        "work": work,
        "form": form if can_edit else None,
        "can_edit": can_edit,
        "can_log_risks": policies.can_change_risk_log(request.user, work),
        "risk_log_frozen": (
            bool(work.week_id) and policies.can_log_risks(request.user, work.cohort, work.student) and not can_edit
        ),
        "snapshot_view": None if can_edit else readable(selectors.workspace_snapshot(ws)),
        "upload_form": upload_form or ArtifactUploadForm(required=ws.required),
        "link_form": link_form or ArtifactLinkForm(required=ws.required, prefix="link"),
        "risk_form": risk_form or RiskEntryForm(),
        "improve_rows": improve_rows,
        "is_late_now": ws.window.is_late(timezone.now()),
        # What higher apps show beside the work (the mentor's request, threads): asked once.
        "panels": WORKSPACE.panels(work=work, user=request.user, ws=ws),
    }
    return render(request, "submissions/workspace.html", context, status=status)


def _posted_draft(request: HttpRequest, work: WeeklyWork, data) -> tuple[WorkspaceForm, ValidationError | None]:
    """Save what the workspace form holds as the draft: the form, and None when saved, or why
    not (the form's own errors, or the service's refusal, which is then on the form too)."""
    ws = selectors.workspace_for(work, request.user)
    form = WorkspaceForm(data, work=work, objectives=ws.objectives, gates=ws.gates, retrospective=ws.retrospective)
    if not form.is_valid():
        return form, ValidationError("Some fields are too long.")
    try:
        services.work_save_draft(
            work=work,
            content=form.to_content(),
            retrospective=form.retrospective_data(),
            expected_version=form.cleaned_data["draft_version"],
            by=request.user,
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return form, exc
    return form, None


def _refusal_status(exc: ValidationError) -> int:
    """409 when someone else saved the draft in between (reload to see theirs), else 400."""
    return 409 if isinstance(exc, services.DraftConflict) else 400


@login_required
@require_http_methods(["GET", "POST"])
def work_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows the workspace; POST saves the draft (a plain form post, or the automatic
    save from static/js/submissions.js which sends X-Autosave and gets JSON back)."""
    work = policies.work_get_for_user(request.user, pk)
    if request.method == "GET":
        return _workspace_response(request, work)
    autosave = request.headers.get(AUTOSAVE_HEADER) == "1"
    if not policies.can_edit_work(request.user, work):
        if autosave:
            return JsonResponse({"ok": False, "error": "This work can no longer be edited."}, status=409)
        messages.error(request, "This work can no longer be edited.")
        return redirect("submissions:work", pk=work.pk)
    form, refused = _posted_draft(request, work, request.POST)
    if refused is not None:
        if autosave:
            reply = {"ok": False, "error": service_error_text(refused)}
            fields = {name: errors for name, errors in form.errors.items() if name != NON_FIELD_ERRORS}
            if fields:  # the script marks these fields
                reply["fields"] = fields
            return JsonResponse(reply, status=_refusal_status(refused))
        return _workspace_response(request, work, form=form, status=_refusal_status(refused))
    if autosave:
        saved = work.draft_saved_at.astimezone(ZoneInfo(request.user.time_zone or work.cohort.time_zone))
        return JsonResponse({"ok": True, "draft_version": work.draft_version, "saved_at": saved.strftime("%H:%M:%S")})
    messages.success(request, "Draft saved.")
    return redirect("submissions:work", pk=work.pk)


@login_required
@require_POST
def work_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save what is on the page, then freeze it as the next revision. The draft is saved
    first and stays saved when the submission itself is refused (e.g. late under a
    "refuse" policy), and the page keeps everything typed."""
    work = policies.work_get_for_user(request.user, pk)
    if not policies.can_submit_work(request.user, work):
        messages.error(request, "This work cannot be submitted now.")
        return redirect("submissions:work", pk=work.pk)
    data = request.POST.copy()
    form, refused = _posted_draft(request, work, data)
    if refused is not None:
        return _workspace_response(request, work, form=form, status=_refusal_status(refused))
    data["draft_version"] = str(work.draft_version)  # the page now holds the saved draft
    try:
        revision = services.work_submit(work=work, by=request.user, expected_version=work.draft_version)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _workspace_response(request, work, form=form, status=400)
    late = " It was marked late." if revision.is_late else ""
    messages.success(request, f"Submitted as revision {revision.number}.{late}")
    return redirect("submissions:revision", pk=work.pk, number=revision.number)


# --- Evidence ----------------------------------------------------------------------------


def _editable_work(request: HttpRequest, pk: int) -> WeeklyWork:
    work = policies.work_get_for_user(request.user, pk)
    if not policies.can_edit_work(request.user, work):
        raise Http404("This work cannot be edited.")
    return work


@login_required
@require_POST
def artifact_upload(request: HttpRequest, pk: int) -> HttpResponse:
    work = _editable_work(request, pk)
    required = selectors.required_evidence(work)
    form = ArtifactUploadForm(request.POST, request.FILES, required=required)
    if form.is_valid():
        try:
            artifact = services.artifact_upload(
                work=work,
                upload=form.cleaned_data["file"],
                proves=form.cleaned_data["proves"],
                evidence_item=form.cleaned_data["evidence_item"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, default_field="file")
        except StorageUnavailable as exc:
            # Not the student's fault and not a bug: the workspace again, with what they
            # typed, saying what happened (503, so monitoring sees the outage).
            form.add_error("file", exc.message)
            return _workspace_response(request, work, upload_form=form, status=503)
        else:
            messages.success(request, f"Uploaded {artifact.original_name}.")
            return redirect(reverse("submissions:work", kwargs={"pk": work.pk}) + "#evidence")
    return _workspace_response(request, work, upload_form=form, status=400)


@login_required
@require_POST
def artifact_link(request: HttpRequest, pk: int) -> HttpResponse:
    work = _editable_work(request, pk)
    # Prefixed: the upload form on the same page has fields of the same names (ids must be unique).
    form = ArtifactLinkForm(request.POST, required=selectors.required_evidence(work), prefix="link")
    if form.is_valid():
        try:
            services.artifact_add_link(work=work, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Link added.")
            return redirect(reverse("submissions:work", kwargs={"pk": work.pk}) + "#evidence")
    return _workspace_response(request, work, link_form=form, status=400)


@login_required
@require_POST
def artifact_remove(request: HttpRequest, pk: int, artifact_id: int) -> HttpResponse:
    work = _editable_work(request, pk)
    artifact = selectors.work_artifact_get(work, artifact_id, attached=True)
    services.artifact_remove(artifact=artifact, by=request.user)
    messages.success(request, f"Removed {artifact.label} from the draft.")
    return redirect(reverse("submissions:work", kwargs={"pk": work.pk}) + "#evidence")


@login_required
@require_GET
def artifact_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Files are only ever served as attachments with a safe type, nosniff and a sandbox
    CSP, so nothing uploaded can run as a page of this site."""
    artifact = policies.artifact_get_for_download(request.user, pk)
    if artifact.erased_at:
        raise Http404("This evidence was erased with its author's data.")
    if artifact.kind != Artifact.Kind.FILE:
        return redirect(artifact.url)
    return artifact_file_response(artifact)


# --- Improve items of last week's retrospective -------------------------------------------


@login_required
@require_POST
def improve_item_status(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """The student sets what became of one improve item (done, carried forward, dropped)."""
    work = policies.work_get_for_user(request.user, pk)
    if request.user.pk != work.student_id:
        raise Http404("No such work.")
    back = redirect(reverse("submissions:work", kwargs={"pk": work.pk}) + "#improve")
    if not policies.can_edit_work(request.user, work):
        messages.error(request, "This work is handed in, so its improve items stay as they were set.")
        return back
    item = next((i for i in selectors.improve_items_for_work(work) if i.key == key), None)
    if item is None:
        raise Http404("No such improve item.")
    form = ImproveItemStatusForm(request.POST, item=item)
    if form.is_valid():
        try:
            services.improve_item_set_status(work=work, key=key, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            label = dict(form.fields["status"].choices)[form.cleaned_data["status"]]
            messages.success(request, f"Improve item marked “{label.lower()}”.")
            return back
    return _workspace_response(request, work, improve_form=form, status=400)


# --- Risk and defect log -----------------------------------------------------------------


def _risk_log_work(request: HttpRequest, pk: int, change: str) -> tuple[WeeklyWork, HttpResponse | None]:
    """The work whose log the student changes, and a redirect with the reason when the log of
    that week is frozen (the work was handed in). Anyone but the student gets a 404."""
    work = policies.work_get_for_user(request.user, pk)
    if not policies.can_log_risks(request.user, work.cohort, work.student) or not work.week_id:
        raise Http404("No such work.")
    if not policies.can_change_risk_log(request.user, work):
        messages.error(request, services.risk_log_frozen_message(week=work.week, state=work.state, change=change))
        return work, _risks_redirect(work)
    return work, None


def _risks_redirect(work: WeeklyWork) -> HttpResponse:
    return redirect(reverse("submissions:work", kwargs={"pk": work.pk}) + "#risks")


@login_required
@require_POST
def risk_add(request: HttpRequest, pk: int) -> HttpResponse:
    work, refused = _risk_log_work(request, pk, "add")
    if refused:
        return refused
    form = RiskEntryForm(request.POST)
    if form.is_valid():
        try:
            services.risk_entry_create(student=work.student, cohort=work.cohort, week=work.week, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, service_error_text(exc))
        else:
            messages.success(request, "Entry added to your defect and risk log.")
        return _risks_redirect(work)
    return _workspace_response(request, work, risk_form=form, status=400)


@login_required
@require_POST
def risk_close(request: HttpRequest, pk: int, risk_id: int) -> HttpResponse:
    work, refused = _risk_log_work(request, pk, "close")
    if refused:
        return refused
    entry = selectors.risk_entry_get(work, risk_id)
    form = RiskCloseForm(request.POST)
    if form.is_valid():
        try:
            services.risk_entry_close(entry=entry, week=work.week, resolution=form.cleaned_data["resolution"])
        except ValidationError as exc:
            messages.error(request, service_error_text(exc))
        else:
            messages.success(request, f"Closed “{entry.title}” in week {work.week.number}.")
    return _risks_redirect(work)


# --- Revisions and diffs -----------------------------------------------------------------


@login_required
@require_GET
def revision_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    revision = policies.revision_get_for_user(request.user, pk, number)
    numbers = list(revision.work.revisions.values_list("number", flat=True).order_by("number"))
    return render(
        request,
        "submissions/revision_detail.html",
        {
            "revision": revision,
            "work": revision.work,
            "shown": readable(revision.content),
            "numbers": numbers,
            "zone": ZoneInfo(request.user.time_zone or revision.work.cohort.time_zone),
            "panels": REVISION.panels(revision=revision, user=request.user),
        },
    )


@login_required
@require_GET
def revision_diff(request: HttpRequest, pk: int) -> HttpResponse:
    work = policies.work_get_for_user(request.user, pk)
    revisions = {r.number: r for r in work.revisions.order_by("number")}
    if len(revisions) < 2:
        messages.info(request, "There is only one revision so far; nothing to compare yet.")
        return redirect("submissions:work", pk=work.pk)
    numbers = sorted(revisions)
    try:
        a = int(request.GET.get("from", numbers[-2]))
        b = int(request.GET.get("to", numbers[-1]))
    except ValueError:
        raise Http404("No such revision.") from None
    if a not in revisions or b not in revisions:
        raise Http404("No such revision.")
    mode = "side" if request.GET.get("mode") == "side" else "inline"
    diff = selectors.revision_diff(revisions[a], revisions[b])
    return render(
        request,
        "submissions/revision_diff.html",
        {"work": work, "a": revisions[a], "b": revisions[b], "diff": diff, "mode": mode, "numbers": numbers},
    )


@login_required
@require_GET
def artifact_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The thumbnail of an evidence file, for whoever may download the file (404 otherwise)."""
    artifact = policies.artifact_get_for_download(request.user, pk)
    preview = previews.previews_for([artifact.pk]).get(artifact.pk)
    return previews.preview_image_response(preview, cache_control="private, max-age=300")
