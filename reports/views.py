"""Report pages: my runs and the request form, one run's progress, its JSON status, the
download, and retrying a failed run."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cohorts.models import Membership
from cohorts.policies import is_platform_admin
from cohorts.selectors import cohort_get_for_user
from core.db_routing import replica_reads, replica_reads_while_streaming
from core.forms import add_service_errors, service_error_text
from core.http import as_safe_attachment, attachment_response

from . import generators, selectors, services, writers
from .forms import ReportRequestForm
from .models import ReportRun
from .policies import can_retry_run, report_scope_for, run_get_for_user


def _request_form(request: HttpRequest, data=None) -> ReportRequestForm:
    cohort_wide = is_platform_admin(request.user) or Membership.objects.of(user=request.user).teachers().exists()
    return ReportRequestForm(
        data,
        cohorts=selectors.cohorts_for_reports(request.user) if cohort_wide else [],
        students=selectors.students_for_reports(request.user),
        cohort_wide=cohort_wide,
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    form = _request_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        membership = data.get("student")
        kind = data["kind"]
        cohort = membership.cohort if kind == ReportRun.Kind.STUDENT else data["cohort"]
        student = membership.user if kind == ReportRun.Kind.STUDENT else None
        try:
            run = services.report_request(
                kind=kind, fmt=data["format"], cohort=cohort, student=student, by=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # Only what stays true: the run may already be built (eager tasks, a quick worker)
            # by the time the page shows; its state is on the page itself.
            messages.success(request, f"{run.get_kind_display()} requested.")
            return redirect("reports:detail", pk=run.pk)
    return render(request, "reports/report_list.html", {"form": form, "runs": selectors.runs_for_user(request.user)})


def _status(run: ReportRun) -> dict:
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": "Stalled" if run.is_stalled else run.get_status_display(),
        "stalled": run.is_stalled,
        "phase": run.get_phase_display() if run.status == ReportRun.Status.RUNNING and run.phase else "",
        "progress": run.progress,
        "error": run.error,
        "finished": run.is_finished,
        "download_url": reverse("reports:download", args=[run.pk])
        if run.status == ReportRun.Status.SUCCEEDED
        else None,
    }


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = run_get_for_user(request.user, pk)
    return render(
        request,
        "reports/report_detail.html",
        {"run": run, "can_retry": can_retry_run(request.user, run), "status_url": reverse("reports:status", args=[pk])},
    )


@login_required
def report_status(request: HttpRequest, pk: int) -> JsonResponse:
    run = run_get_for_user(request.user, pk)
    response = JsonResponse(_status(run))
    response["Cache-Control"] = "no-store"
    return response


@login_required
def report_download(request: HttpRequest, pk: int) -> FileResponse:
    run = run_get_for_user(request.user, pk)
    if run.status != ReportRun.Status.SUCCEEDED or not run.file:
        raise Http404("This report has no file yet.")
    return attachment_response(
        run.file, filename=run.file.name.rsplit("/", 1)[-1], content_type=run.content_type, inline_styles=True
    )


@login_required
@require_POST
def report_retry(request: HttpRequest, pk: int) -> HttpResponse:
    run = run_get_for_user(request.user, pk)
    try:
        services.report_retry(run=run, by=request.user)
    except ValidationError as exc:
        messages.error(request, service_error_text(exc))
    else:
        messages.success(request, "Trying again.")
    return redirect("reports:detail", pk=run.pk)


@login_required
@require_GET
def gradebook_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """The gradebook page's "Export CSV": the gradebook report, built while it downloads (the
    same document and the same CSV writer as a report run of that kind), a chunk of
    REPORTS_CHUNK_SIZE students at a time, so memory stays flat however large the cohort.
    Mentors get their assigned students, as on the page; everyone who may not see the
    gradebook gets a 404."""
    cohort = cohort_get_for_user(request.user, slug)
    scope = report_scope_for(request.user, ReportRun.Kind.GRADEBOOK, cohort)
    if scope is False:
        raise Http404("No such cohort.")
    with replica_reads():
        document = generators.gradebook_report(cohort, mentor=request.user if scope else None, progress=lambda _: None)
    response = StreamingHttpResponse(
        replica_reads_while_streaming(writers.csv_lines(document)), content_type="text/csv; charset=utf-8"
    )
    return as_safe_attachment(response, filename=f"{document.filename_stem}.csv")
