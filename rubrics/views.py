"""Review pages: the mentor's queue and scoring page, feedback for the author, the author's
self-assessment before submitting, peer review, the gradebook with CSV export, student
progress and calibration runs. Every view fetches through an access function in
policies.py (404 for missing and forbidden alike)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from cohorts.models import Membership
from cohorts.policies import can_manage_cohort, is_platform_admin
from cohorts.selectors import (
    MembershipStamp,
    cohort_get_for_user,
    cohorts_managed_by,
    membership_stamps,
    roles_of_stamps,
)
from core import pagecache
from core.forms import add_service_errors, service_error_text
from submissions import selectors as submission_selectors
from submissions.content import readable
from submissions.downloads import artifact_file_response
from submissions.models import Artifact, WeeklyWork

from . import policies, selectors, services
from .forms import CalibrationRunForm, MasteryRuleForm, ScoringForm
from .models import Assessment, SelfAssessmentDraft
from .panels import PEER_REVIEW, SCORING

# --- Review queue ----------------------------------------------------------------------------


def review_queue_fast_parts(*, user: User, stamps: tuple[MembershipStamp, ...], **url_kwargs) -> tuple:
    """The queue's `fast` parts (courseplatform/fast_path.py): its key is the viewer's stamps,
    the URL, the viewer and the layout."""
    return stamps


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    stamps = membership_stamps(request.user)
    roles = roles_of_stamps(stamps)
    if not policies.can_use_review_queue(request.user, roles=roles):
        return redirect("rubrics:peer_queue")
    number = request.GET.get("page", "1")
    if not (number.isascii() and number.isdigit() and 1 <= int(number) <= 1_000_000):
        raise Http404("No such page of the review queue.")
    # Kept whole until one of the viewer's cohorts changes version (a submission, a decision,
    # members or mentors, a calibration run: docs/performance.md, "Cached pages"), or a row's
    # waiting time or overdue mark would change. A platform admin's queue spans every cohort,
    # which no one version covers: made every time.
    key = None
    if pagecache.query_is(request, ["page"]) and not is_platform_admin(request.user):
        # What the queue shows of each cohort; draft saves (works_version) change none of it.
        shown = [(s.cohort_id, s.role, s.grades_version, s.created_at, s.name, s.review_deadline_hours) for s in stamps]
        key = pagecache.page_key(request, "review-queue", shown)

    def build() -> pagecache.BuildResult:
        now = timezone.now()
        page = selectors.review_queue_page(request.user, number=int(number), now=now)
        if not page.items and page.number > 1:
            raise Http404("No such page of the review queue.")
        response = pagecache.render(
            request,
            "rubrics/review_queue.html",
            {
                "page": page,
                "items": page.items,
                "calibrations": selectors.calibration_runs_waiting(request.user),
                "is_instructor": Membership.Role.INSTRUCTOR in roles or is_platform_admin(request.user),
            },
        )
        return response, page.changes_at(now)

    # Answered before the middleware too (courseplatform/fast_path.py).
    return pagecache.respond(request, key, build, fast=review_queue_fast_parts(user=request.user, stamps=stamps))


# --- Mentor scoring --------------------------------------------------------------------------


def _scoring_context(request: HttpRequest, revision, *, form=None) -> dict:
    """Revision, artifacts, diff against the previous revision, the feedback given on both,
    and the rubric. A fixed number of queries (see test_query_budgets)."""
    work = revision.work
    rubric = selectors.rubric_for_work(work)
    criteria = selectors.rubric_criteria(rubric) if rubric else []
    previous = selectors.previous_revision(revision)
    if previous is not None:
        previous.work = work
    feedback = selectors.feedback_for_revisions([r for r in (revision, previous) if r], request.user)
    mine = next((a for a in feedback[revision.pk].mentor if a.scorer_id == request.user.pk), None)
    can_score = (
        rubric is not None
        and mine is None
        and work.latest_revision_id == revision.pk
        and work.state in WeeklyWork.AWAITING_REVIEW_STATES
    )
    links = selectors.objective_links_for_work(work, rubric) if can_score else []
    rule = selectors.mastery_rule_for(work.cohort) if links else None
    draft = selectors.assessment_draft_for(revision, request.user) if can_score else None
    if can_score and form is None:
        # The scoring in progress comes back as it was left (levels only under the same version).
        initial = draft.form_initial(same_rubric=draft.rubric_id == rubric.pk) if draft else None
        form = ScoringForm(criteria=criteria, with_decision=True, objectives=links, initial=initial)
    checks = selectors.derive_objective_judgements(rule, links, form.chosen_points()) if links else []
    return {
        "revision": revision,
        "work": work,
        "shown": readable(revision.content),
        "previous": previous,
        "diff": submission_selectors.revision_diff(previous, revision) if previous else None,
        "feedback": feedback[revision.pk],
        "previous_feedback": feedback[previous.pk] if previous else None,
        "rubric": rubric,
        "form": form if can_score else None,
        "rows": form.criterion_rows() if can_score else [],
        "mastery_rule": rule,
        "judgement_rows": form.judgement_rows(checks) if checks else [],
        "panels": SCORING.panels(revision=revision, user=request.user),
        "draft": draft,
        "draft_outdated": draft is not None and draft.rubric_id != rubric.pk,
        "total": _running_total(form, criteria) if can_score else None,
    }


def _running_total(form: ScoringForm, criteria: list) -> dict:
    """The weighted total of the levels chosen so far, as the server computes (and saves) it;
    static/js/scoring.js recomputes the same figure as levels are clicked."""
    chosen = form.chosen_levels()
    score = None
    if criteria and len(chosen) == len(criteria):
        score = services.weighted_score(
            (c.weight, level.points, max(lv.points for lv in c.levels.all())) for c, level in chosen
        )
    return {"score": score, "chosen": len(chosen), "criteria": len(criteria)}


def _record_scores(
    request: HttpRequest, form: ScoringForm, *, revision, kind: str, calibration_run=None
) -> Assessment | None:
    """The one scoring flow of every rubric form (mentor, self, peer, calibration): check the
    posted form and record the assessment as `request.user`. None when the form or the service
    refused it; the reasons are then on the form, next to the criteria they concern."""
    if not form.is_valid():
        return None
    try:
        return services.assessment_record(
            revision=revision,
            scorer=request.user,
            kind=kind,
            scores=form.scores(),
            feedback=form.cleaned_data["feedback"],
            decision=form.cleaned_data.get("decision", ""),
            calibration_run=calibration_run,
            judgements=form.judgements() if form.cleaned_data.get("decision") == Assessment.Decision.ACCEPT else None,
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def score_revision(request: HttpRequest, pk: int) -> HttpResponse:
    revision = policies.revision_get_for_scoring(request.user, pk)
    if request.method == "GET":
        return render(request, "rubrics/score.html", _scoring_context(request, revision))
    rubric = selectors.rubric_for_work(revision.work)
    if rubric is None:
        raise Http404("No rubric applies.")
    form = ScoringForm(
        request.POST,
        criteria=selectors.rubric_criteria(rubric),
        with_decision=True,
        objectives=selectors.objective_links_for_work(revision.work, rubric),
    )
    if "preview" in request.POST:
        # Shows what the rule derives from the levels chosen so far; saves nothing.
        return render(request, "rubrics/score.html", _scoring_context(request, revision, form=form))
    assessment = _record_scores(request, form, revision=revision, kind=Assessment.Kind.MENTOR)
    if assessment is not None:
        verb = "accepted" if assessment.decision == Assessment.Decision.ACCEPT else "sent back for changes"
        messages.success(request, f"Scored {assessment.score} / 100 and {verb}.")
        if request.POST.get("then") == "next":
            return _open_next_in_queue(request, revision)
        return redirect("rubrics:queue")
    revision.work.refresh_from_db()
    return render(request, "rubrics/score.html", _scoring_context(request, revision, form=form), status=400)


def _open_next_in_queue(request: HttpRequest, revision) -> HttpResponse:
    """After "Save and open the next in the queue": the work that follows in the queue's order,
    or the queue itself with a word on what is left."""
    following = selectors.review_queue_next(request.user, after=revision)
    if following.work is not None:
        return redirect("rubrics:score", pk=following.work.latest_revision_id)
    if following.still_waiting:
        waiting = following.still_waiting
        messages.info(
            request,
            f"That was the last one in your review queue's order; "
            f"{waiting} earlier revision{pluralize(waiting)} still wait{pluralize(waiting, 's,')}.",
        )
    else:
        messages.info(request, "That was the last one: your review queue is empty.")
    return redirect("rubrics:queue")


AUTOSAVE_HEADER = "X-Autosave"


@login_required
@require_POST
def score_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the scoring in progress as the mentor's draft: the automatic save from
    static/js/scoring.js (X-Autosave, JSON back: 409 when the revision can no longer be
    scored) or the "Save draft" button (back to the page)."""
    revision = policies.revision_get_for_scoring(request.user, pk)
    autosave = request.headers.get(AUTOSAVE_HEADER) == "1"
    rubric = selectors.rubric_for_work(revision.work)
    if rubric is None:
        raise Http404("No rubric applies.")
    form = ScoringForm(
        request.POST,
        criteria=selectors.rubric_criteria(rubric),
        with_decision=True,
        objectives=selectors.objective_links_for_work(revision.work, rubric),
        draft=True,
    )
    refused = None
    if form.is_valid():
        try:
            saved = services.assessment_draft_save(
                revision=revision,
                scorer=request.user,
                expected_version=_posted_version(request),
                **form.draft_values(),
            )
        except ValidationError as exc:
            refused = exc
            add_service_errors(form, exc)
    else:
        refused = ValidationError("Some fields are too long or hold a choice that is not on the page.")
    if refused is not None:
        status = 409 if any(getattr(e, "code", "") == "not_scorable" for e in refused.error_list) else 400
        if autosave:
            fields = {name: errors for name, errors in form.errors.items() if name != NON_FIELD_ERRORS}
            return JsonResponse({"ok": False, "error": service_error_text(refused), "fields": fields}, status=status)
        if status == 409:
            messages.error(request, service_error_text(refused))
            return redirect("rubrics:score", pk=revision.pk)
        return render(request, "rubrics/score.html", _scoring_context(request, revision, form=form), status=400)
    saved_at = timezone.localtime(saved.draft.updated_at).strftime("%H:%M:%S")
    conflict = None
    if saved.replaced_save_at is not None:
        conflict = services.DRAFT_REPLACED.format(at=timezone.localtime(saved.replaced_save_at).strftime("%H:%M:%S"))
    if autosave:
        return JsonResponse(
            {"ok": True, "draft_version": saved.draft.version, "saved_at": saved_at, "conflict": conflict}
        )
    if conflict:
        messages.warning(request, conflict)
    messages.success(request, f"Draft saved at {saved_at}. It is yours alone until you save the score.")
    return redirect("rubrics:score", pk=revision.pk)


def _posted_version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("draft_version", ""))
    except ValueError:
        return None


# --- Feedback for the author -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """Mentor and peer feedback on one revision, separately; the author may add a
    self-assessment once."""
    revision = policies.revision_get_for_feedback(request.user, pk)
    work = revision.work
    rubric = selectors.rubric_for_work(work)
    criteria = selectors.rubric_criteria(rubric) if rubric else []
    fb = selectors.feedback_for_revisions([revision], request.user)[revision.pk]
    is_author = request.user.pk == work.student_id
    form = None
    if is_author and fb.self_assessment is None and rubric is not None:
        form = ScoringForm(request.POST or None, criteria=criteria)
        if request.method == "POST" and _record_scores(request, form, revision=revision, kind=Assessment.Kind.SELF):
            messages.success(request, "Self-assessment saved.")
            return redirect("rubrics:feedback", pk=revision.pk)
    elif request.method == "POST":
        raise Http404("Nothing to save here.")
    numbers = list(work.revisions.order_by("number").values_list("pk", "number"))
    return render(
        request,
        "rubrics/feedback.html",
        {
            "revision": revision,
            "work": work,
            "fb": fb,
            "is_author": is_author,
            "form": form,
            "rows": form.criterion_rows() if form else [],
            "numbers": numbers,
            "can_score": policies.can_score_as_mentor(request.user, work),
        },
        status=400 if form is not None and request.method == "POST" else 200,
    )


# --- Self-assessment before submitting ---------------------------------------------------------


def _self_assessment_form(data, *, criteria: list, initial: dict | None = None) -> ScoringForm:
    form = ScoringForm(data, criteria=criteria, initial=initial)
    form.fields["feedback"].label = "Overall note"
    form.fields["feedback"].help_text = "Markdown. Where do you think the work stands, and what are you least sure of?"
    return form


def _draft_initial(draft: SelfAssessmentDraft) -> dict:
    initial = {"feedback": draft.feedback}
    for criterion_id, (level_id, comment) in draft.scores.items():
        initial[f"criterion_{criterion_id}"] = level_id
        initial[f"comment_{criterion_id}"] = comment
    return initial


def _draft_rows(draft: SelfAssessmentDraft, criteria: list) -> list[dict]:
    """The saved levels and comments per criterion, for the read-only view."""
    scores = draft.scores
    rows = []
    for criterion in criteria:
        level_id, comment = scores.get(criterion.pk, (None, ""))
        level = next((lv for lv in criterion.levels.all() if lv.pk == level_id), None)
        rows.append({"criterion": criterion, "level": level, "comment": comment})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def self_assess(request: HttpRequest, pk: int) -> HttpResponse:
    """The author scores their own work with the rubric before submitting; the saved draft is
    recorded on the next revision when they submit. Read-only while the work is submitted or
    accepted."""
    work = policies.work_get_for_self_assessment(request.user, pk)
    rubric = selectors.rubric_for_work(work)
    draft = SelfAssessmentDraft.objects.select_related("rubric").filter(work=work).first()
    outdated = draft is not None and rubric is not None and draft.rubric_id != rubric.pk
    editable = work.is_editable and rubric is not None
    if request.method == "POST" and not editable:
        if rubric is None:
            messages.error(request, "No rubric applies to this work yet, so there is nothing to assess against.")
        else:
            messages.error(
                request,
                f"This work is {work.get_state_display().lower()}, so its self-assessment cannot change now. "
                "You can edit it again when changes are requested.",
            )
        return redirect("rubrics:self_assess", pk=work.pk)
    criteria = selectors.rubric_criteria(rubric) if rubric else []
    form = None
    status = 200
    if request.method == "POST":
        status = 400
        form = _self_assessment_form(request.POST, criteria=criteria)
        if form.is_valid():
            try:
                draft = services.self_assessment_save_draft(
                    work=work, by=request.user, scores=form.scores(), feedback=form.cleaned_data["feedback"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"Self-assessment saved: {draft.score} / 100. "
                    "It is attached to your next revision when you submit.",
                )
                return redirect("rubrics:self_assess", pk=work.pk)
    elif editable:
        initial = None
        if draft is not None:
            # Levels of an outdated version mean nothing in the current one; the note still does.
            initial = {"feedback": draft.feedback} if outdated else _draft_initial(draft)
        form = _self_assessment_form(None, criteria=criteria, initial=initial)
    read_only_rows = []
    if form is None and draft is not None:
        read_only_rows = _draft_rows(draft, selectors.rubric_criteria(draft.rubric) if outdated else criteria)
    latest = work.latest_revision
    return render(
        request,
        "rubrics/self_assess.html",
        {
            "work": work,
            "rubric": rubric,
            "draft": draft,
            "outdated": outdated,
            "form": form,
            "rows": form.criterion_rows() if form else [],
            "read_only_rows": read_only_rows,
            "latest": latest,
            "next_number": (latest.number if latest else 0) + 1,
        },
        status=status,
    )


# --- Peer review -------------------------------------------------------------------------------


@login_required
@require_GET
def peer_queue(request: HttpRequest) -> HttpResponse:
    # Only shows: reviewers are assigned when work is submitted and by the scheduled sweep
    # (rubrics.tasks), never by a page view.
    return render(
        request, "rubrics/peer_queue.html", {"tasks": selectors.peer_tasks(request.user), "now": timezone.now()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def peer_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The assigned reviewer scores the revision with the same rubric; nothing on this page
    names the author."""
    assignment = policies.peer_assignment_get_for_user(request.user, pk)
    revision = assignment.revision
    rubric = selectors.rubric_for_work(revision.work)
    criteria = selectors.rubric_criteria(rubric) if rubric else []
    form = None
    status = 200
    if not assignment.is_done and rubric is not None:
        form = ScoringForm(request.POST or None, criteria=criteria)
        if request.method == "POST":
            status = 400
            if _record_scores(request, form, revision=revision, kind=Assessment.Kind.PEER):
                messages.success(request, "Thank you: your peer review was sent.")
                return redirect("rubrics:peer_queue")
    elif request.method == "POST":
        messages.info(request, "You have already reviewed this revision.")
        return redirect("rubrics:peer_review", pk=assignment.pk)
    mine = None
    if assignment.is_done:
        mine = selectors._assessments_with_scores().get(pk=assignment.assessment_id)
    return render(
        request,
        "rubrics/peer_review.html",
        {
            "assignment": assignment,
            "revision": revision,
            "shown": readable(revision.content),
            "artifacts": selectors.revision_artifact_list(revision),
            "form": form,
            "rows": form.criterion_rows() if form else [],
            "mine": mine,
            "panels": PEER_REVIEW.panels(revision=revision, user=request.user),
        },
        status=status,
    )


@login_required
@require_GET
def revision_artifact(request: HttpRequest, revision_pk: int, artifact_pk: int) -> HttpResponse:
    """Evidence for reviewers, served like submissions' downloads (attachment, safe type,
    nosniff, sandbox CSP); peers and calibration mentors get a neutral file name."""
    artifact, anonymise = policies.artifact_get_for_reviewer(request.user, revision_pk, artifact_pk)
    if artifact.erased_at:
        raise Http404("This evidence was erased with its author's data.")
    if artifact.kind != Artifact.Kind.FILE:
        return redirect(artifact.url)
    return artifact_file_response(artifact, neutral_name=anonymise)


# --- Student progress ----------------------------------------------------------------------------


@login_required
@require_GET
def student_progress(request: HttpRequest, slug: str, student_id: int) -> HttpResponse:
    cohort = cohort_get_for_user(request.user, slug)
    student = policies.student_get_for_progress(request.user, cohort, student_id)
    return render(request, "rubrics/progress.html", {"p": selectors.student_progress(cohort, student)})


# --- Calibration ---------------------------------------------------------------------------------


@login_required
@require_GET
def calibration_list(request: HttpRequest) -> HttpResponse:
    # The cohorts where can_run_calibration holds (instructors', all for admins), in one query.
    manageable = list(cohorts_managed_by(request.user))
    return render(
        request,
        "rubrics/calibration_list.html",
        {"runs": selectors.calibration_runs_for(request.user), "manageable": manageable},
    )


@login_required
@require_http_methods(["GET", "POST"])
def calibration_create(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = cohort_get_for_user(request.user, slug)
    if not policies.can_run_calibration(request.user, cohort):
        raise Http404("No such cohort.")
    revisions = selectors.calibration_candidates(cohort)
    form = CalibrationRunForm(request.POST or None, cohort=cohort, revisions=revisions)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.calibration_run_create(
                cohort=cohort,
                revision=form.cleaned_data["revision"],
                created_by=request.user,
                mentors=[m.user for m in form.cleaned_data["mentors"]],
                title=form.cleaned_data["title"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Calibration run started; the mentors find it in their review queue.")
            return redirect("rubrics:calibration", pk=run.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "rubrics/calibration_create.html", {"cohort": cohort, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def calibration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A mentor of the run scores here first; results (for instructors, and for mentors once
    they have scored, so nobody anchors on the others) show the agreement."""
    run = policies.calibration_run_get_for_user(request.user, pk)
    is_manager = policies.can_run_calibration(request.user, run.cohort)
    is_mentor = policies.is_calibration_mentor(request.user, run)
    has_scored = Assessment.objects.filter(calibration_run=run, scorer=request.user).exists()
    revision = run.revision
    form = None
    status = 200
    if is_mentor and not has_scored:
        form = ScoringForm(request.POST or None, criteria=selectors.rubric_criteria(run.rubric))
        if request.method == "POST":
            status = 400
            if _record_scores(request, form, revision=revision, kind=Assessment.Kind.CALIBRATION, calibration_run=run):
                messages.success(request, "Calibration scores saved. Here is how the mentors agree so far.")
                return redirect("rubrics:calibration", pk=run.pk)
    elif request.method == "POST":
        raise Http404("Nothing to save here.")
    show_results = is_manager or has_scored
    return render(
        request,
        "rubrics/calibration_detail.html",
        {
            "run": run,
            "revision": revision,
            "shown": readable(revision.content) if form else None,
            "artifacts": selectors.revision_artifact_list(revision) if form else [],
            "form": form,
            "rows": form.criterion_rows() if form else [],
            "result": selectors.calibration_result(run) if show_results else None,
            "is_manager": is_manager,
        },
        status=status,
    )


@login_required
@require_POST
def peer_assign_now(request: HttpRequest, slug: str) -> HttpResponse:
    """Instructors can assign missing peer reviewers now instead of waiting for the scheduled
    sweep (e.g. right after adding students to a cohort)."""
    cohort = cohort_get_for_user(request.user, slug)
    if not policies.can_assign_peer_reviewers(request.user, cohort):
        raise Http404("No such cohort.")
    count = services.peer_assignments_ensure(cohort=cohort)
    messages.success(request, f"Peer reviewers assigned to {count} revision{'s' if count != 1 else ''}.")
    return redirect("rubrics:gradebook", slug=cohort.slug)


# --- How objectives are judged ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def mastery_rule(request: HttpRequest, slug: str) -> HttpResponse:
    """The cohort's instructors set how a mentor's levels become "met" for each objective."""
    cohort = cohort_get_for_user(request.user, slug)
    if not can_manage_cohort(request.user, cohort):
        raise Http404("No such cohort.")
    rule = selectors.mastery_rule_for(cohort)
    form = MasteryRuleForm(request.POST or None, initial={"min_points": rule.min_points, "require": rule.require})
    if request.method == "POST" and form.is_valid():
        try:
            services.mastery_rule_set(cohort=cohort, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Saved. Weeks accepted from now on are judged by the new rule.")
            return redirect("rubrics:mastery_rule", slug=cohort.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "rubrics/mastery_rule.html", {"cohort": cohort, "form": form, "rule": rule}, status=status)
