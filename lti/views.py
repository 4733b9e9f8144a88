"""The LTI 1.3 tool's endpoints: the JWKS, OIDC login initiation, the launch, and the pages
a launch leads to (course choice, account linking, deep linking); and a cohort's LMS sync
pages: what its grade passback sent and what failed (with a retry for instructors), and the
roster sync from the LMS with its preview."""

from __future__ import annotations

import logging

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.contrib.django.launch_data_storage.cache import DjangoCacheDataStorage
from pylti1p3.exception import LtiException, OIDCException

from accounts.policies import can_use_admin, must_use_second_factor
from accounts.stages import PROVIDER_SECOND_FACTOR_SESSION_KEY
from cohorts.policies import can_manage_cohort

from . import deep_linking, keys, policies, selectors, services
from .claims import DEEP_LINKING, RESOURCE_LINK, Launch
from .forms import CohortSetupForm, DeepLinkForm
from .framing import FRAME_ORIGIN_SESSION_KEY
from .models import GradeSync
from .registration import ToolRegistration
from .selectors import PENDING_SESSION_KEY, destination, pending_launch
from .services.grades import grade_sync_retry
from .services.roster import roster_apply, roster_preview
from .toolconf import DatabaseToolConf

log = logging.getLogger(__name__)


def _storage() -> DjangoCacheDataStorage:
    return DjangoCacheDataStorage(cache_name="default")


def refused(request: HttpRequest, *, status: int, reason: str, hint: str = "") -> HttpResponse:
    """A launch we will not honour: a page that says why (never a 500)."""
    log.info("lti launch refused", extra={"status": status, "reason": reason})
    return render(request, "lti/refused.html", {"reason": reason, "hint": hint}, status=status)


@require_GET
def jwks(request: HttpRequest) -> HttpResponse:
    """Our public keys: the current one and, during a rotation, the retiring one. Platforms
    fetch it to check our deep-linking responses and client assertions."""
    response = JsonResponse({"keys": keys.published_keys()})
    # Short enough that a rotation reaches every platform within the hour the retiring key
    # stays published (docs/integrations.md, "Key rotation").
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


_COOKIE_HINT = (
    "If the course page shows this inside a frame, your browser may be blocking the cookies the "
    "sign-in needs: open the link in a new window (the LMS usually offers it), or allow cookies "
    "for this site."
)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """OIDC third-party login initiation: the LMS sends the browser here first; we answer with
    the authentication request (state in a short cookie, nonce kept server-side)."""
    if keys.current_key() is None:
        return refused(request, status=503, reason="LTI is not configured on this server (no tool key).")
    oidc = DjangoOIDCLogin(request, DatabaseToolConf(), launch_data_storage=_storage())
    try:
        return oidc.redirect(request.build_absolute_uri(reverse("lti:launch")))
    except (OIDCException, LtiException) as exc:
        known = {"Could not find issuer", "Could not find login hint"}
        status = 400 if str(exc) in known else 403
        return refused(request, status=status, reason=f"The login request was refused: {exc}.")


@csrf_exempt
@never_cache
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    """The signed id_token: validated against the platform's JWKS (signature, issuer, audience,
    expiry), the state cookie and the nonce, the deployment; then a replayed token is refused
    and the launch is mapped to a cohort, an account and a page."""
    if not request.POST.get("id_token") or not request.POST.get("state"):
        return refused(request, status=400, reason="The launch has no id_token or no state.")
    conf = DatabaseToolConf()
    try:
        message = DjangoMessageLaunch(request, conf, launch_data_storage=_storage())
        message.set_public_key_caching(_storage(), cache_lifetime=300)
        body = message.get_launch_data()
    except LtiException as exc:
        hint = _COOKIE_HINT if "cookie" in str(exc).lower() or "state" in str(exc).lower() else ""
        return refused(request, status=403, reason=f"The launch could not be verified: {exc}", hint=hint)
    except (ValueError, KeyError, TypeError) as exc:  # a token the library could not even read
        return refused(request, status=400, reason=f"The launch could not be read: {exc}")
    # The library checks that the nonce was issued to this browser, not that it is used once.
    nonce_key = f"lti:nonce:{body['iss']}:{body.get('nonce')}"
    if not cache.add(nonce_key, 1, timeout=settings.LTI_LAUNCH_MAX_AGE):
        return refused(request, status=403, reason="This launch was already used (a replayed id_token).")
    assert conf.platform is not None and conf.deployment is not None
    launch_ = Launch.from_message(body, platform_id=conf.platform.pk, deployment_pk=conf.deployment.pk)
    if launch_.message_type not in (RESOURCE_LINK, DEEP_LINKING):
        return refused(request, status=400, reason=f"This tool does not handle {launch_.message_type} messages.")
    if not launch_.context_id:
        return refused(request, status=400, reason="Links to this course must be placed inside an LMS course.")
    if launch_.role is None:
        return refused(request, status=403, reason="Your role in this LMS course has no place in the course here.")
    if launch_.message_type == DEEP_LINKING and launch_.role != "instructor":
        return refused(request, status=403, reason="Only instructors add content from this tool.")
    services.context_record(launch=launch_)
    request.session[PENDING_SESSION_KEY] = launch_.as_session()
    request.session[FRAME_ORIGIN_SESSION_KEY] = conf.platform.origin
    return _continue(request, launch_)


def _continue(request: HttpRequest, launch_: Launch) -> HttpResponse:
    """Sign the LMS person in (or ask them to sign in first) and send them on."""
    account = services.lms_account_find(launch=launch_)
    if account is None:
        existing = services.account_with_address(launch_.email)
        if existing is not None or (launch_.role == "instructor" and not settings.LTI_TRUST_PLATFORM_SIGN_IN):
            return redirect("lti:link")
        account = services.lms_account_create_user(launch=launch_)
    else:
        services.lms_account_touch(account=account, launch=launch_)
    user = account.user
    if not user.is_active:
        return refused(request, status=403, reason="This account is deactivated.")
    if request.user != user:
        if must_use_second_factor(user) and not settings.LTI_TRUST_PLATFORM_SIGN_IN:
            # Staff and instructors sign in with their own second factor; the launch alone does not.
            return redirect("lti:link")
        origin = request.session.get(FRAME_ORIGIN_SESSION_KEY)
        auth_login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        # Signing in over another person's session starts a new one: the launch goes with it.
        request.session[PENDING_SESSION_KEY] = launch_.as_session()
        request.session[FRAME_ORIGIN_SESSION_KEY] = origin
        if settings.LTI_TRUST_PLATFORM_SIGN_IN:
            # As with a provider that asserted one (accounts/stages.py): for this session only.
            request.session[PROVIDER_SECOND_FACTOR_SESSION_KEY] = True
    return _arrive(request, launch_)


def _arrive(request: HttpRequest, launch_: Launch) -> HttpResponse:
    context = services.context_for(launch=launch_)
    if context.cohort is None:
        if launch_.role == "instructor":
            return redirect("lti:setup")
        return render(request, "lti/not_set_up.html", {"context": context}, status=409)
    services.membership_sync(cohort=context.cohort, user=request.user, role=launch_.role)
    if launch_.message_type == DEEP_LINKING:
        return redirect("lti:deep_link")
    link = services.resource_link_record(context=context, launch=launch_)
    request.session.pop(PENDING_SESSION_KEY, None)
    return redirect(destination(role=launch_.role, cohort=context.cohort, link=link))


@never_cache
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest) -> HttpResponse:
    """An LMS person whose account must be confirmed by signing in: an existing account with
    the LMS's address, an instructor, or a linked account that needs its second factor. GET
    explains (and links to sign-in); the POST of the signed-in person links and goes on."""
    launch_ = pending_launch(request)
    if launch_ is None:
        return refused(request, status=400, reason="There is no launch waiting; open the link in the LMS again.")
    account = services.lms_account_find(launch=launch_)
    if request.method == "POST" and request.user.is_authenticated:
        if account is None:
            try:
                services.lms_account_link(launch=launch_, user=request.user)
            except ValidationError:
                return refused(
                    request, status=409, reason="This LMS account was linked meanwhile; open the link again."
                )
        elif account.user != request.user:
            return refused(
                request,
                status=403,
                reason="This LMS account is linked to another account here; sign in as that account.",
            )
        return _arrive(request, launch_)
    sign_in = f"{reverse('account_login')}?next={reverse('lti:link')}"
    return render(
        request,
        "lti/link.html",
        {
            "launch": launch_,
            "account": account,
            "sign_in_url": sign_in,
            "sign_up_url": f"{reverse('account_signup')}?next={reverse('lti:link')}",
            "existing": services.account_with_address(launch_.email) is not None,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """An instructor's first launch from an LMS course: choose the course version; the POST
    makes the cohort the LMS course maps to."""
    launch_ = pending_launch(request)
    if launch_ is None or not request.user.is_authenticated or launch_.role != "instructor":
        return refused(request, status=403, reason="Only an instructor launching from the LMS course sets it up.")
    context = services.context_for(launch=launch_)
    if context.cohort is not None:
        # Set up meanwhile (another instructor's launch): the POST goes on to the course.
        if request.method == "POST":
            return _arrive(request, launch_)
        return render(request, "lti/setup.html", {"form": None, "context": context})
    form = CohortSetupForm(
        request.POST if request.method == "POST" else None, initial={"name": context.title or context.context_id}
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.context_cohort_create(context=context, instructor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return _arrive(request, launch_)
        return render(request, "lti/setup.html", {"form": form, "context": context}, status=400)
    return render(request, "lti/setup.html", {"form": form, "context": context})


@never_cache
@require_http_methods(["GET", "POST"])
def deep_link(request: HttpRequest) -> HttpResponse:
    """Deep linking: the instructor picks weeks and capstone deliverables; the POST answers the
    LMS with a signed LtiDeepLinkingResponse (a gradable item carries its lineItem)."""
    launch_ = pending_launch(request)
    if launch_ is None or launch_.message_type != DEEP_LINKING or not request.user.is_authenticated:
        return refused(request, status=403, reason="Open “add content” from the LMS course again.")
    context = services.context_for(launch=launch_)
    if context.cohort is None or launch_.role != "instructor":
        return refused(request, status=403, reason="Only the course's instructor adds content.")
    choices = deep_linking.choices_for(context.cohort.course)
    form = DeepLinkForm(request.POST if request.method == "POST" else None, choices=choices)
    if request.method == "POST" and form.is_valid():
        token, return_url = deep_linking.response_for(
            request, launch=launch_, course=context.cohort.course, picked=form.cleaned_data["items"]
        )
        request.session.pop(PENDING_SESSION_KEY, None)
        response = render(request, "lti/deep_link_return.html", {"jwt": token, "return_url": return_url})
        deep_linking.allow_form_action(response, return_url)
        return response
    return render(
        request,
        "lti/deep_link.html",
        {"form": form, "context": context, "weeks": choices.weeks, "deliverables": choices.deliverables},
        status=400 if form.is_bound else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Dynamic registration, started from the LMS with `openid_configuration` (and
    `registration_token`). Only an admin signed in here may register a platform: a GET shows
    what would be registered, the POST registers it."""
    if not can_use_admin(request.user):
        return refused(
            request,
            status=403,
            reason="Registering an LMS needs an administrator of this site: sign in here first, then start "
            "the registration in the LMS again.",
        )
    source = request.POST if request.method == "POST" else request.GET
    openid_configuration = source.get("openid_configuration", "")
    if not openid_configuration.startswith(("https://", "http://")):
        return refused(request, status=400, reason="The registration request has no openid_configuration URL.")
    registration = ToolRegistration(
        request, openid_configuration=openid_configuration, registration_token=source.get("registration_token")
    )
    if request.method == "GET":
        return render(
            request,
            "lti/register.html",
            {"openid_configuration": openid_configuration, "registration_token": source.get("registration_token", "")},
        )
    try:
        registration.register()
    except (LtiException, AssertionError, KeyError, ValueError, ValidationError, requests.RequestException) as exc:
        return refused(request, status=400, reason=f"The LMS's registration could not be completed: {exc}")
    response = render(request, "lti/registered.html", {"platform": registration.platform})
    return response


GRADE_SYNCS_PER_PAGE = 100


def _totals(counts: dict[str, int]) -> dict[str, int]:
    return {
        "sent": counts.get(GradeSync.Status.SENT, 0),
        "waiting": counts.get(GradeSync.Status.PENDING, 0) + counts.get(GradeSync.Status.SENDING, 0),
        "retrying": counts.get(GradeSync.Status.RETRYING, 0),
        "failed": counts.get(GradeSync.Status.FAILED, 0),
    }


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_GET
def grade_syncs(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = policies.cohort_get_for_grade_syncs(request.user, slug)
    every = can_manage_cohort(request.user, cohort)
    syncs = selectors.grade_syncs_for(cohort, viewer=request.user, sees_every_student=every)
    page = Paginator(syncs, GRADE_SYNCS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "lti/grade_syncs.html",
        {
            "cohort": cohort,
            "context": selectors.context_for_cohort(cohort),
            "page": page,
            "counts": _totals(selectors.grade_sync_counts(cohort)),
            "statuses": GradeSync.Status,
            "can_retry": policies.can_retry_grade_sync(request.user, cohort),
            "can_sync_roster": policies.can_sync_roster(request.user, cohort),
        },
    )


@login_required
@require_POST
def grade_sync_retry_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = policies.cohort_get_for_grade_syncs(request.user, slug)
    sync = policies.grade_sync_get_for_retry(request.user, cohort, pk)
    try:
        sync = grade_sync_retry(sync=sync, by=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        if sync.status == GradeSync.Status.FAILED:
            messages.error(request, f"Not sent again: {sync.last_error}")
        else:
            messages.success(request, f"The score of {sync.student.display_name} will be sent again.")
    return redirect("lti:grade_syncs", slug=cohort.slug)


@login_required
@require_GET
def roster(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = policies.cohort_get_for_roster_sync(request.user, slug)
    return render(
        request,
        "lti/roster.html",
        {
            "cohort": cohort,
            "context": selectors.context_for_cohort(cohort),
            "syncs": selectors.roster_syncs_for(cohort),
        },
    )


@login_required
@require_POST
def roster_preview_view(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = policies.cohort_get_for_roster_sync(request.user, slug)
    context = selectors.context_for_cohort(cohort)
    if context is None:
        messages.error(request, "This cohort is not linked to an LMS course.")
        return redirect("lti:roster", slug=cohort.slug)
    try:
        sync = roster_preview(context=context, by=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("lti:roster", slug=cohort.slug)
    return redirect("lti:roster_detail", slug=cohort.slug, pk=sync.pk)


@login_required
@require_GET
def roster_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = policies.cohort_get_for_roster_sync(request.user, slug)
    sync = policies.roster_sync_get(request.user, cohort, pk)
    return render(request, "lti/roster_detail.html", {"cohort": cohort, "sync": sync, "plan": sync.plan})


@login_required
@require_POST
def roster_apply_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = policies.cohort_get_for_roster_sync(request.user, slug)
    sync = policies.roster_sync_get(request.user, cohort, pk)
    try:
        sync = roster_apply(sync=sync, by=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        done = sync.result
        messages.success(
            request,
            f"Roster applied: {done['added']} added, {done['changed']} role changed, {done['removed']} removed"
            + (f", {done['skipped']} already done" if done["skipped"] else "")
            + ".",
        )
    return redirect("lti:roster_detail", slug=cohort.slug, pk=sync.pk)
