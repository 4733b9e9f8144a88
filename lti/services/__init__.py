"""The LTI app's business actions. Here: what a launch changes (the LMS course's record and its
cohort, the person's account link and membership, the resource link's target), called by
lti.views and by the roster sync. In this package too: `grades` (a decision's score sent back to
the LMS line item, exactly once) and `roster` (the LMS roster previewed, then applied)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from cohorts.models import Cohort, Membership
from cohorts.services import cohort_create, membership_ensure, membership_remove
from curriculum.models import CapstoneDeliverable, Course, Week

from ..claims import Launch
from ..models import Context, Deployment, LmsAccount, Platform, ResourceLink
from ..selectors import grades_panel_version_key, panel_versions


def grades_panel_changed(*, cohort_id: int | None) -> None:
    """Say that what the cohort's gradebook panel shows changed (its LMS course, or how many
    grade syncs are sent, waiting (pending, sending, retrying) or failed): cached gradebook and
    heatmap pages key on lti.selectors.grades_panel_version. Its token is dropped once the
    change commits, in the cache and in every web process's copy, and the next reader makes a
    new one, so no request can read the new version and still see the old rows; between the
    commit and the drop (the same request's on-commit hooks) the page may be served as it was a
    moment before. A drop that finds Redis away is held and sent once it answers again
    (core.cache)."""
    if cohort_id is None:
        return
    key = grades_panel_version_key(cohort_id)
    transaction.on_commit(lambda: panel_versions.delete_many([key]))


@transaction.atomic
def context_record(*, launch: Launch) -> Context:
    """The LMS course of a launch, created on its first launch; its title and the service URLs
    follow what the latest launch says."""
    context, _ = Context.objects.select_for_update().get_or_create(
        platform_id=launch.platform_id,
        context_id=launch.context_id,
        defaults={"deployment_id": launch.deployment_pk},
    )
    changed = {
        "title": launch.context_title or context.title,
        "label": launch.context_label or context.label,
        "lineitems_url": launch.lineitems_url or context.lineitems_url,
        "ags_scopes": launch.ags_scopes or context.ags_scopes,
        "memberships_url": launch.memberships_url or context.memberships_url,
    }
    changed = {name: value for name, value in changed.items() if getattr(context, name) != value}
    if changed:
        for name, value in changed.items():
            setattr(context, name, value)
        context.full_clean()
        context.save(update_fields=[*changed, "updated_at"])
        grades_panel_changed(cohort_id=context.cohort_id)  # the panel names the LMS course
    return context


def _unique_cohort_slug(title: str) -> str:
    base = (slugify(title) or "lms-course")[:70].strip("-") or "lms-course"
    slug, n = base, 1
    while Cohort.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def context_cohort_create(
    *, context: Context, course: Course, name: str, start_date: datetime.date, time_zone: str, instructor: User
) -> Cohort:
    """The cohort an LMS course maps to, made by an instructor's launch (who chose the course
    version); the instructor is its first member."""
    context = Context.objects.select_for_update().get(pk=context.pk)
    if context.cohort_id is not None:
        raise ValidationError("This LMS course is already linked to a cohort.", code="already_linked")
    cohort = cohort_create(
        course=course, name=name, slug=_unique_cohort_slug(name), start_date=start_date, time_zone=time_zone
    )
    context.cohort = cohort
    context.save(update_fields=["cohort", "updated_at"])
    grades_panel_changed(cohort_id=cohort.pk)
    membership_sync(cohort=cohort, user=instructor, role=Membership.Role.INSTRUCTOR)
    return cohort


@transaction.atomic
def membership_sync(*, cohort: Cohort, user: User, role: str) -> Membership:
    """The person holds `role` in the cohort, as the LMS says now: added if missing; a changed
    role is a removal and a new membership, through the cohorts services that own both."""
    existing = Membership.objects.filter(cohort=cohort, user=user).first()
    if existing is not None and existing.role != role:
        membership_remove(membership=existing)
    membership, _ = membership_ensure(cohort=cohort, user=user, role=role)
    return membership


def lms_account_find(*, launch: Launch) -> LmsAccount | None:
    return LmsAccount.objects.select_related("user").filter(issuer=launch.issuer, sub=launch.sub).first()


def account_with_address(email: str) -> User | None:
    """An existing account using the LMS's address: never linked without its owner signing in."""
    return User.objects.filter(email__iexact=email).first() if email else None


@transaction.atomic
def lms_account_link(*, launch: Launch, user: User) -> LmsAccount:
    """Link the LMS person to `user` (who signed in to confirm, or was just created)."""
    account = LmsAccount(
        platform_id=launch.platform_id,
        issuer=launch.issuer,
        sub=launch.sub,
        user=user,
        email=launch.email,
        name=launch.name,
        last_launch_at=timezone.now(),
    )
    account.full_clean()
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:  # the same person's launch in another tab linked first
        raise ValidationError("This LMS account is already linked.", code="already_linked") from exc
    return account


@transaction.atomic
def lms_account_create_user(*, launch: Launch) -> LmsAccount:
    """A first launch of someone we do not know: an account of their own, without a password
    (they come in through the LMS; a password reset to the LMS's address gives them one)."""
    email = launch.email or f"lti-{launch.platform_id}-{slugify(launch.sub)[:40] or 'person'}@lti.invalid"
    user = User.objects.create_user(email=email, password=None, name=launch.name)
    return lms_account_link(launch=launch, user=user)


def lms_account_touch(*, account: LmsAccount, launch: Launch) -> None:
    account.email = launch.email or account.email
    account.name = launch.name or account.name
    account.last_launch_at = timezone.now()
    account.save(update_fields=["email", "name", "last_launch_at"])


def _target_from_custom(course: Course, custom: dict) -> tuple[Week | None, CapstoneDeliverable | None]:
    """Deep links carry their target as custom parameters: `week` (a number) or `deliverable`
    (an id), both within the cohort's course."""
    week_number = custom.get("week", "")
    if week_number.isdigit():
        return Week.objects.filter(course=course, number=int(week_number)).first(), None
    deliverable_id = custom.get("deliverable", "")
    if deliverable_id.isdigit():
        return None, CapstoneDeliverable.objects.filter(project__course=course, pk=int(deliverable_id)).first()
    return None, None


@transaction.atomic
def resource_link_record(*, context: Context, launch: Launch) -> ResourceLink:
    """The link the person opened; its target is fixed at its first launch (from the deep
    link's custom parameters), its line item follows the launch's AGS claim."""
    link = (
        ResourceLink.objects.select_for_update(of=("self",))
        .select_related("week", "deliverable")
        .filter(context=context, resource_link_id=launch.resource_link_id)
        .first()
    )
    if link is None:
        week, deliverable = (
            _target_from_custom(context.cohort.course, launch.custom) if context.cohort else (None, None)
        )
        link = ResourceLink(
            context=context,
            resource_link_id=launch.resource_link_id,
            title=launch.resource_link_title,
            week=week,
            deliverable=deliverable,
            line_item_url=launch.lineitem_url,
        )
        link.full_clean()
        link.save()
        return link
    if launch.lineitem_url and link.line_item_url != launch.lineitem_url:
        link.line_item_url = launch.lineitem_url
        link.save(update_fields=["line_item_url"])
    return link


def platform_and_deployment(launch: Launch) -> tuple[Platform, Deployment]:
    deployment = Deployment.objects.select_related("platform").get(pk=launch.deployment_pk)
    return deployment.platform, deployment


def context_for(*, launch: Launch) -> Context:
    return Context.objects.select_related("cohort__course").get(
        platform_id=launch.platform_id, context_id=launch.context_id
    )


@transaction.atomic
def platform_register(
    *,
    name: str,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    access_token_url: str,
    jwks_url: str,
    audience: str = "",
    deployment_id: str = "",
) -> Platform:
    """Record a platform's registration (dynamic registration; the admin form does the same by
    hand). Registering the same issuer and client id again updates its URLs."""
    platform = Platform.objects.select_for_update().filter(issuer=issuer, client_id=client_id).first() or Platform(
        issuer=issuer, client_id=client_id
    )
    platform.name = platform.name or name
    platform.auth_login_url = auth_login_url
    platform.access_token_url = access_token_url
    platform.jwks_url = jwks_url
    platform.audience = audience
    platform.full_clean()
    platform.save()
    if deployment_id:
        Deployment.objects.get_or_create(platform=platform, deployment_id=deployment_id)
    return platform
