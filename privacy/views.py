"""Pages for a person's data: the "Your data" page (exports and erasure), one export's
progress, its JSON status and its download, and the admin's page for one person."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from cohorts.policies import is_platform_admin

from . import selectors, services
from .downloads import export_file_response
from .forms import AdminErasureForm, ErasureConfirmForm, PersonLookupForm
from .models import DataExport
from .policies import (
    can_cancel_erasure,
    erasure_get_for_user,
    erasure_refusal,
    export_get_for_user,
    person_get_for_admin,
)


def _page(request: HttpRequest, person: User, *, erasure_form=None, status: int = 200) -> HttpResponse:
    for_self = person.pk == request.user.pk
    open_erasure = selectors.open_erasure_for(person)
    if erasure_form is None:
        erasure_form = ErasureConfirmForm() if for_self else AdminErasureForm()
    return render(
        request,
        "privacy/home.html",
        {
            "person": person,
            "for_self": for_self,
            "exports": selectors.exports_for(person),
            "open_erasure": open_erasure,
            "can_cancel": open_erasure is not None and can_cancel_erasure(request.user, open_erasure),
            "erasure_refusal": erasure_refusal(request.user, person),
            "erasure_form": erasure_form,
            "past_erasures": selectors.erasures_for(person),
            "grace_days": services.grace_period().days,
        },
        status=status,
    )


def _back(request: HttpRequest, person: User) -> HttpResponse:
    if person.pk == request.user.pk:
        return redirect("privacy:home")
    return redirect("privacy:person", pk=person.pk)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return _page(request, request.user)


@login_required
@require_POST
def export_create(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    person = request.user if pk is None else person_get_for_admin(request.user, pk)
    try:
        export = services.export_request(user=person, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, person)
    messages.success(request, "The archive is being built; this page shows its progress.")
    return redirect("privacy:export", pk=export.pk)


def _status(export: DataExport) -> dict:
    return {
        "id": export.pk,
        "status": export.status,
        "status_label": export.get_status_display(),
        "progress": export.progress,
        "phase": export.phase,
        "error": export.error,
        "finished": export.is_finished,
        "download_url": reverse("privacy:export_download", args=[export.pk])
        if export.status == DataExport.Status.SUCCEEDED
        else None,
    }


@login_required
@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    export = export_get_for_user(request.user, pk)
    return render(
        request,
        "privacy/export_detail.html",
        {"export": export, "status_url": reverse("privacy:export_status", args=[pk])},
    )


@login_required
@require_GET
def export_status(request: HttpRequest, pk: int) -> JsonResponse:
    export = export_get_for_user(request.user, pk)
    response = JsonResponse(_status(export))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    return export_file_response(export_get_for_user(request.user, pk))


@login_required
@require_POST
def erasure_create(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    person = request.user if pk is None else person_get_for_admin(request.user, pk)
    for_self = person.pk == request.user.pk
    form = (ErasureConfirmForm if for_self else AdminErasureForm)(request.POST)
    if form.is_valid():
        try:
            erasure = services.erasure_request(
                user=person,
                by=request.user,
                password=form.cleaned_data.get("password"),
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(
                request, f"The erasure is scheduled for {erasure.due_at:%d %b %Y}; it can be cancelled until then."
            )
            return _back(request, person)
    return _page(request, person, erasure_form=form, status=400)


@login_required
@require_POST
def erasure_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    erasure = erasure_get_for_user(request.user, pk)
    try:
        services.erasure_cancel(request=erasure, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The erasure is cancelled. Nothing was deleted.")
    return _back(request, erasure.user)


@login_required
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    """Admins find a person by e-mail address, to export or erase their data for them."""
    if not is_platform_admin(request.user):
        raise Http404
    form = PersonLookupForm(request.GET or None)
    if form.is_valid():
        person = User.objects.filter(email__iexact=form.cleaned_data["email"]).first()
        if person is not None:
            return redirect("privacy:person", pk=person.pk)
        form.add_error("email", "Nobody has this e-mail address.")
    return render(request, "privacy/people.html", {"form": form})


@login_required
@require_GET
def person(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, person_get_for_admin(request.user, pk))
