import datetime

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.forms import add_service_errors

from . import selectors
from .forms import ProfileForm, TokenCreateForm
from .panels import PROFILE
from .policies import can_use_admin
from .services import TOKEN_PREFIX, token_create, token_revoke, user_update_profile


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user_update_profile(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Profile saved.")
            return redirect("accounts:profile")
    panels = PROFILE.panels(user=request.user, request=request)
    return render(request, "accounts/profile.html", {"form": form, "panels": panels})


# --- Personal access tokens ----------------------------------------------------------------


# The new token's secret waits here between the create POST and the redirected GET, which
# pops it: shown exactly once, and reloading the page neither shows it again nor creates another.
NEW_TOKEN_SESSION_KEY = "accounts.new_token"


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """List the person's tokens and create one (POST, then redirect back here); a new
    token's secret is shown on the next page view only (never stored, never shown again)."""
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, plaintext = token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=timezone.now() + datetime.timedelta(days=form.cleaned_data["expires_in_days"]),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session[NEW_TOKEN_SESSION_KEY] = {"pk": token.pk, "plaintext": plaintext}
            return redirect("accounts:tokens")
    tokens = list(selectors.tokens_of(request.user))
    created = None
    if request.method == "GET" and (new := request.session.pop(NEW_TOKEN_SESSION_KEY, None)):
        token = next((token for token in tokens if token.pk == new.get("pk")), None)
        if token is not None:
            created = {"token": token, "plaintext": new["plaintext"]}
    response = render(
        request, "accounts/tokens.html", {"form": form, "tokens": tokens, "created": created, "now": timezone.now()}
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = selectors.token_get_for_owner(request.user, pk)
    token_revoke(token=token)
    messages.success(
        request,
        f"Token “{token.name}” ({TOKEN_PREFIX}{token.prefix}…) revoked; clients using it are refused from now on.",
    )
    return redirect("accounts:tokens")


# --- The admin's sign-in ------------------------------------------------------------------


def admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """Stands in for Django admin's own login form, which takes a password directly and so
    would skip allauth's rate limits and second factor. It never reads credentials: visitors
    sign in through allauth; staff who already did go on; anyone else signed in is refused."""
    next_url = request.GET.get(REDIRECT_FIELD_NAME) or request.POST.get(REDIRECT_FIELD_NAME) or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("admin:index")
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(next_url, reverse("account_login"))
    if can_use_admin(user):
        return redirect(next_url)
    raise PermissionDenied("This account has no access to the administration.")
