"""Thread pages and the plain form posts behind the comment panels. Every post redirects
back to the page it came from (`next`, same site only) at the thread; a refused post shows
its form again with the reason and what was written (400)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core.forms import add_service_errors

from . import policies, selectors, services
from .forms import AddressedForm, CommentForm, ThreadForm
from .models import Thread


def _safe_next(request: HttpRequest) -> str:
    """The page the post came from, when it is on this site ("" otherwise)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target.split("#")[0]
    return ""


def _back(request: HttpRequest, thread_pk: int) -> HttpResponse:
    target = _safe_next(request) or reverse("feedback:thread", args=[thread_pk])
    return redirect(f"{target}#thread-{thread_pk}")


def _thread_page(request: HttpRequest, thread: Thread, *, status: int = 200, **forms) -> HttpResponse:
    view = selectors.thread_view(thread, request.user)
    return render(
        request,
        "feedback/thread.html",
        {
            "thread": thread,
            "t": view,
            "work": thread.work,
            "sees_work": policies.sees_author_of_work(request.user, thread.work),
            "refused": [form for form in forms.values() if form is not None and form.errors],
            "reply_form": forms.get("reply_form"),
            "edit_form": forms.get("edit_form"),
        },
        status=status,
    )


@login_required
@require_GET
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_page(request, policies.thread_get_for_user(request.user, pk))


@login_required
@require_POST
def thread_create(request: HttpRequest, pk: int) -> HttpResponse:
    revision, assignment = policies.revision_get_for_threads(request.user, pk)
    if not policies.can_open_thread(request.user, revision, assignment=assignment):
        raise Http404("No such revision.")
    form = ThreadForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            thread = services.thread_open(
                revision=revision,
                by=request.user,
                body=data["body"],
                section=data["section"],
                quote=data["quote"],
                prefix=data["prefix"],
                suffix=data["suffix"],
                artifact_id=data["artifact"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, default_field="body")
        else:
            messages.success(request, "Comment posted.")
            return _back(request, thread.pk)
    return render(
        request,
        "feedback/thread_new.html",
        {"revision": revision, "form": form, "next": _safe_next(request)},
        status=400,
    )


@login_required
@require_POST
def thread_reply(request: HttpRequest, pk: int) -> HttpResponse:
    thread = policies.thread_get_for_user(request.user, pk)
    if not policies.can_reply(request.user, thread):
        raise Http404("No such thread.")
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.thread_reply(thread=thread, by=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc, default_field="body")
        else:
            messages.success(request, "Reply posted.")
            return _back(request, thread.pk)
    return _thread_page(request, thread, status=400, reply_form=form)


@login_required
@require_POST
def thread_settle(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    thread = policies.thread_get_for_user(request.user, pk)
    try:
        if action == "resolve":
            services.thread_resolve(thread=thread, by=request.user)
            messages.success(request, "Thread resolved.")
        elif action == "reopen":
            services.thread_reopen(thread=thread, by=request.user)
            messages.success(request, "Thread reopened.")
        else:
            raise Http404("No such action.")
    except PermissionDenied as exc:
        raise Http404("No such thread.") from exc
    return _back(request, thread.pk)


@login_required
@require_POST
def thread_addressed(request: HttpRequest, pk: int) -> HttpResponse:
    thread = policies.thread_get_for_user(request.user, pk)
    if not policies.can_mark_addressed(request.user, thread):
        raise Http404("No such thread.")
    form = AddressedForm(request.POST)
    if form.is_valid():
        try:
            services.thread_mark_addressed(thread=thread, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc, default_field="note")
        else:
            messages.success(request, "Marked addressed: your mentor sees it when you submit the next revision.")
            return _back(request, thread.pk)
    return _thread_page(request, thread, status=400, addressed_form=form)


@login_required
@require_POST
def comment_change(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    comment = policies.comment_get_for_user(request.user, pk)
    if not policies.can_edit_comment(request.user, comment):
        raise Http404("No such comment.")
    if action == "remove":
        services.comment_remove(comment=comment, by=request.user)
        messages.success(request, "Comment removed.")
        return _back(request, comment.thread_id)
    if action != "edit":
        raise Http404("No such action.")
    form = CommentForm(request.POST, label="Your comment")
    if form.is_valid():
        try:
            services.comment_edit(comment=comment, by=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc, default_field="body")
        else:
            messages.success(request, "Comment edited.")
            return _back(request, comment.thread_id)
    return _thread_page(request, comment.thread, status=400, edit_form=form)
