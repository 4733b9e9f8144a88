"""Who may see a credential. A credential in force is public: its holder shares it (from the
portfolio, as a file or a QR code) and anyone may read and check it. Once revoked, only its
holder still sees its page: a revocation follows the learner taking the entry or the whole
portfolio down, and their work must not stay on show through the credential."""

from __future__ import annotations

from django.http import Http404

from accounts.models import User
from portfolios.models import PortfolioEntry

from .models import Credential


def can_view_credential(user: User, credential: Credential) -> bool:
    if not credential.is_revoked:
        return True
    return bool(user.is_authenticated and user.is_active and credential.user_id == user.pk)


def credential_get_for_viewer(user: User, pk) -> Credential:
    """The credential behind /credentials/<id>/, or Http404 for unknown and hidden alike."""
    credential = Credential.objects.filter(pk=pk).exclude(jwt="").first()
    if credential is None or not can_view_credential(user, credential):
        raise Http404("No such credential.")
    return credential


def entry_get_for_claim(user: User, pk: int) -> PortfolioEntry:
    """One of the learner's own entries; 404 for anyone else's."""
    if not (user.is_authenticated and user.is_active):
        raise Http404("No such entry.")
    entry = PortfolioEntry.objects.select_related("portfolio").filter(pk=pk, portfolio__user=user).first()
    if entry is None:
        raise Http404("No such entry.")
    return entry
