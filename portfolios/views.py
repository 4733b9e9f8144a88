"""The public portfolio page and its downloads, the learner's editor, publishing and exports.

The public page is what the outside world hits most: its HTML does not depend on who asks
(it has no per-user navigation, forms or messages), so one rendered copy per portfolio
version is cached and served to everyone who may see it, with a strong ETag and
Last-Modified so repeat visits get 304 Not Modified.
"""

import hashlib
from collections.abc import Callable
from typing import IO

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from core.db_routing import replica_reads
from core.forms import add_service_errors, service_error_text
from core.http import PRIVATE, attachment_response
from submissions.previews import preview_image_response, previews_for
from submissions.uploads import download_content_type

from . import cache as page_cache
from . import exports, panels, policies, selectors, services
from .forms import ProfileForm, PublishForm
from .models import Portfolio, PortfolioEntry

NOT_FOUND_TEMPLATE = "portfolios/not_found.html"


def _not_found(request: HttpRequest) -> HttpResponse:
    """One response for unknown and private portfolios alike."""
    response = render(request, NOT_FOUND_TEMPLATE, status=404)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _render_page(portfolio: Portfolio) -> str:
    # One copy serves every visitor: dates in UTC, not the zone of whoever made it. A fresh
    # override per call: one shared decorator instance would mix up concurrent threads.
    with timezone.override(None):
        return _render_page_in_current_zone(portfolio)


def _render_page_in_current_zone(portfolio: Portfolio) -> str:
    page = selectors.portfolio_page(portfolio)
    panels.attach(panels.PUBLIC_ENTRIES.panels(portfolio=portfolio, entries=page.entries), page.entries)
    for proof in page.proofs:
        proof.href = (
            reverse("portfolios:download", kwargs={"slug": portfolio.slug, "pk": proof.pk})
            if proof.is_file
            else proof.url
        )
    return render_to_string(
        "portfolios/public_page.html",
        {
            "page": page,
            "portfolio": portfolio,
            "page_url": f"{settings.SITE_URL}{reverse('portfolios:public', kwargs={'slug': portfolio.slug})}",
            "share_image_url": f"{settings.SITE_URL}{static('img/og-portfolio.png')}",
            "export": False,
        },
    )


def _head_for(slug: str) -> tuple[dict | None, Portfolio | None]:
    """The cached head of /p/<slug>/ (None: no such portfolio), and the row if it was read."""
    head = page_cache.head_get(slug)
    if head is not None:
        return (None if head == page_cache.MISSING else head), None
    row = Portfolio.objects.filter(slug=slug).first()
    head = page_cache.head_of(row) if row else None
    page_cache.head_set(slug, head)
    return head, row


@require_safe
def public_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Queries for an anonymous visitor: none when the page is cached; otherwise the portfolio,
    its published entries, their proofs and their credentials (four). A signed-in visitor adds
    the session and user, and for a private portfolio the mentor check."""
    head, row = _head_for(slug)
    if head is None:
        return _not_found(request)
    stub = Portfolio(pk=head["pk"], user_id=head["user_id"], slug=slug, visibility=head["visibility"])
    if not stub.is_world_visible:
        if not policies.may_see_private_portfolios(request.user):
            # Answered from the head alone, exactly as for an unknown slug, so neither the
            # response nor its timing tells a visitor that a private portfolio exists.
            return _not_found(request)
        # Private: only the learner, their mentors and admins; never cached anywhere.
        try:
            portfolio = policies.portfolio_get_for_viewer(request.user, slug)
        except Http404:
            return _not_found(request)
        response = HttpResponse(_render_page(portfolio))
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
        return response

    cached = page_cache.page_get(page_cache.page_key(head["pk"], head["version"], head["updated_at"]))
    if cached is None:
        portfolio = row or Portfolio.objects.filter(pk=head["pk"]).first()
        if portfolio is None or portfolio.slug != slug or not policies.can_view_portfolio(request.user, portfolio):
            return _not_found(request)  # changed since the head was cached
        body = _render_page(portfolio)
        etag = f'"{portfolio.version}-{hashlib.sha256(body.encode()).hexdigest()[:32]}"'
        head = page_cache.head_of(portfolio)
        cached = (body, etag, portfolio.is_indexable)
        page_cache.page_set(page_cache.page_key(portfolio.pk, portfolio.version, portfolio.updated_at), cached)
    return cached_page_response(request, head, cached)


def cached_page_response(request: HttpRequest, head: dict, cached: tuple) -> HttpResponse:
    """A world-visible page from its cached copy, or 304 when the visitor's copy is current.
    Also what portfolios.middleware.PublicPageMiddleware answers with, so both paths send the
    same headers."""
    body, etag, indexable = cached
    response = HttpResponse(body)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(page_cache.last_modified(head))
    # Shared caches may keep it but must ask again each time, so unpublishing shows at once.
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    if not indexable:
        response["X-Robots-Tag"] = "noindex"
    return get_conditional_response(request, etag=etag, last_modified=page_cache.last_modified(head), response=response)


@require_safe
def public_download(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A proof file of a published entry, always as an attachment with a safe type, nosniff,
    a sandbox CSP and its SHA-256 in the headers."""
    try:
        proof = policies.proof_get_for_download(request.user, slug, pk)
    except Http404:
        return _not_found(request)
    if not proof.is_file:
        return _not_found(request)
    portfolio = proof.entry.portfolio
    try:
        response = attachment_response(
            proof.artifact.file,
            filename=proof.name or f"evidence-{proof.pk}",
            content_type=download_content_type(proof.content_type),
            cache_control="public, max-age=0, must-revalidate" if portfolio.is_world_visible else PRIVATE,
        )
    except Http404:  # missing from storage
        return _not_found(request)
    response["X-Checksum-SHA256"] = proof.sha256
    response["ETag"] = f'"{proof.sha256}"'
    if not portfolio.is_indexable:
        response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def public_preview(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The thumbnail of a proof file (our re-encoded image, shown inline on the page): public
    exactly while the proof can be downloaded from /p/<slug>/, the same 404 otherwise."""
    try:
        proof = policies.proof_get_for_download(request.user, slug, pk)
    except Http404:
        return _not_found(request)
    if not proof.is_file:
        return _not_found(request)
    portfolio = proof.entry.portfolio
    try:
        response = preview_image_response(
            previews_for([proof.artifact_id]).get(proof.artifact_id),
            # Revalidated on every view, like the page, so unpublishing shows at once.
            cache_control="public, max-age=0, must-revalidate" if portfolio.is_world_visible else PRIVATE,
        )
    except Http404:
        return _not_found(request)
    if not portfolio.is_indexable:
        response["X-Robots-Tag"] = "noindex"
    answer = get_conditional_response(request, etag=response["ETag"], response=response)
    if answer is not response:
        response.close()  # 304: the thumbnail opened for it is not sent
    return answer


# --- The learner's editor ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def editor(request: HttpRequest) -> HttpResponse:
    data = selectors.editor_for(request.user)
    portfolio = data.portfolio
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                target = portfolio or services.portfolio_ensure(user=request.user)
                services.portfolio_update_profile(portfolio=target, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Portfolio saved.")
                return redirect("portfolios:editor")
        status = 400
    else:
        if portfolio:
            initial = ProfileForm.initial_for(portfolio)
        else:
            initial = {
                "slug": services.portfolio_slug_suggestion(request.user),
                "display_name": request.user.display_name,
                "visibility": Portfolio.Visibility.PRIVATE,
            }
        form = ProfileForm(initial=initial)
        status = 200
    panels.attach(
        panels.EDITOR_ENTRIES.panels(portfolio=portfolio, entries=data.entries, user=request.user), data.entries
    )
    return render(request, "portfolios/editor.html", {"data": data, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest, work_id: int) -> HttpResponse:
    work = policies.work_get_for_publish(request.user, work_id)
    revision = work.latest_revision
    existing = PortfolioEntry.objects.filter(portfolio__user=request.user, work=work).first()
    score = selectors.mentor_score_for_revision(revision)
    kwargs = {"revision": revision, "score_available": score is not None}
    if request.method == "POST":
        form = PublishForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                services.entry_publish(
                    work=work,
                    by=request.user,
                    narrative=form.cleaned_data["narrative"],
                    artifact_ids=[a.pk for a in form.cleaned_data["artifacts"]],
                    include_score=form.cleaned_data.get("include_score", False),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Published “{work.target_label}” to your portfolio.")
                return redirect("portfolios:editor")
        status = 400
    else:
        portfolio = selectors.portfolio_of(request.user)
        initial = {"include_score": bool(portfolio and portfolio.show_scores)}
        if existing:
            initial["narrative"] = existing.narrative
            initial["artifacts"] = list(existing.proofs.values_list("artifact_id", flat=True))
            initial["include_score"] = existing.mentor_score is not None
        form = PublishForm(initial=initial, **kwargs)
        status = 200
    return render(
        request,
        "portfolios/publish.html",
        {"work": work, "revision": revision, "form": form, "existing": existing, "score": score},
        status=status,
    )


ENTRY_ACTIONS = ("unpublish", "feature", "unfeature", "up", "down")


@login_required
@require_POST
def entry_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ENTRY_ACTIONS:
        raise Http404("No such entry.")
    entry = policies.entry_get_for_owner(request.user, pk)
    try:
        if action == "unpublish":
            services.entry_unpublish(entry=entry, by=request.user)
            messages.success(request, f"“{entry.title}” is no longer on your public page.")
        elif action in ("feature", "unfeature"):
            services.entry_set_featured(entry=entry, by=request.user, featured=action == "feature")
            messages.success(request, f"“{entry.title}” is {'now' if entry.featured else 'no longer'} featured.")
        else:
            services.entry_move(entry=entry, by=request.user, direction=action)
    except ValidationError as exc:
        messages.error(request, service_error_text(exc))
    return redirect(reverse("portfolios:editor") + "#entries")


def _own_portfolio(request: HttpRequest) -> Portfolio:
    portfolio = selectors.portfolio_of(request.user)
    if portfolio is None:
        raise Http404("You have no portfolio yet.")
    return portfolio


def _export(
    request: HttpRequest, build: Callable[[Portfolio], IO[bytes]], extension: str, content_type: str
) -> HttpResponse:
    portfolio = _own_portfolio(request)
    # From a replica when there is one, unless the learner just changed something (then the
    # pinning middleware keeps them on the primary, so the export has the new entry).
    with replica_reads():
        built = build(portfolio)
    return attachment_response(
        built, filename=f"portfolio-{slugify(portfolio.slug)}.{extension}", content_type=content_type
    )


@login_required
@require_GET
def export_zip(request: HttpRequest) -> HttpResponse:
    return _export(request, exports.build_zip, "zip", "application/zip")


@login_required
@require_GET
def export_pdf(request: HttpRequest) -> HttpResponse:
    return _export(request, exports.build_pdf, "pdf", "application/pdf")
