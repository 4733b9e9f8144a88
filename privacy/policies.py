"""Who may do what with a person's data.

- Everyone signed in: export their own data, and ask for their own account to be erased
  (with their password), and cancel that request during the grace period.
- Platform admins: the same for anyone (an erasure they start is confirmed by them and the
  person is told by e-mail and can still cancel it).
- Staff and superuser accounts are not erased through this path: take away the staff role
  first (their erasure would also remove who changed the curriculum and cohorts).
- Nobody else sees anyone's exports or requests: the pages answer 404.
"""

from django.http import Http404

from accounts.models import User
from accounts.privacy import ERASED_EMAIL_DOMAIN
from cohorts.policies import is_platform_admin

from .models import DataExport, ErasureRequest


def _active(actor: User) -> bool:
    return actor.is_authenticated and actor.is_active


def can_act_for(actor: User, person: User) -> bool:
    return _active(actor) and (actor.pk == person.pk or is_platform_admin(actor))


def can_request_export(actor: User, person: User) -> bool:
    return can_act_for(actor, person)


def can_read_export(actor: User, export: DataExport) -> bool:
    return can_act_for(actor, export.user)


def export_get_for_user(actor: User, pk: int) -> DataExport:
    """An export the actor may read; 404 both when missing and when not allowed."""
    export = DataExport.objects.select_related("user", "requested_by").filter(pk=pk).first()
    if export is None or not can_read_export(actor, export):
        raise Http404("No such export.")
    return export


def erasure_refusal(actor: User, person: User) -> str | None:
    """Why `actor` may not ask for `person`'s erasure, or None when they may."""
    if not can_act_for(actor, person):
        return "You may not ask for this account to be erased."
    if person.is_staff or person.is_superuser:
        return "Staff accounts are not erased here: remove the staff role first."
    if person.email.endswith(f"@{ERASED_EMAIL_DOMAIN}"):
        return "This account was erased already."
    return None


def can_cancel_erasure(actor: User, request: ErasureRequest) -> bool:
    return request.can_be_cancelled and can_act_for(actor, request.user)


def erasure_get_for_user(actor: User, pk: int) -> ErasureRequest:
    request = ErasureRequest.objects.select_related("user").filter(pk=pk).first()
    if request is None or not can_act_for(actor, request.user):
        raise Http404("No such request.")
    return request


def person_get_for_admin(actor: User, pk: int) -> User:
    """A person an admin acts for; 404 for everyone else."""
    person = User.objects.filter(pk=pk).first()
    if person is None or not is_platform_admin(actor):
        raise Http404("No such person.")
    return person
