from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User

from . import selectors, services
from .emails import read_unsubscribe_token
from .forms import PreferencesForm
from .models import Kind, NotificationPreference
from .policies import notification_get_for_user

PAGE_SIZE = 25


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for_user(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and follow its link."""
    notification = notification_get_for_user(request.user, pk)
    services.notification_mark_read(notification=notification)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    else:
        messages.info(request, "Nothing was unread.")
    return redirect("notifications:list")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.preferences_update(user=request.user, choices=form.choices())
        messages.success(request, "Your notification choices are saved.")
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


@login_required
@require_POST
def preferences_test_email(request: HttpRequest) -> HttpResponse:
    services.check_email_request(user=request.user)
    messages.success(request, f"A test message is on its way to {request.user.email}.")
    return redirect("notifications:preferences")


# The signed token is the authority here, not a session: mail clients post RFC 8058 one-click
# unsubscribes without cookies or a CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id, kinds = read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    context = {"kind_label": "”, “".join(Kind(kind).label for kind in kinds), "email": user.email}
    if request.method == "POST":
        services.email_unsubscribe(user=user, kinds=kinds)
        return render(request, "notifications/unsubscribe_done.html", context)
    if NotificationPreference.objects.filter(user=user, kind__in=kinds, email=False).count() == len(kinds):
        return render(request, "notifications/unsubscribe_already.html", context)
    return render(request, "notifications/unsubscribe_confirm.html", context)
