"""Every change to credentials: claiming one for a published entry, and revoking (called by the
receivers of portfolios' signals and by the privacy provider)."""

from __future__ import annotations

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from portfolios.models import Portfolio, PortfolioEntry
from portfolios.services import portfolio_page_changed
from submissions.models import WeeklyWork

from . import documents, signing
from .keys import issuer_keys
from .models import STATUS_LIST_LENGTH, Credential

INDEX_ATTEMPTS = 20


def _claimable(entry: PortfolioEntry, by: User) -> None:
    if by.pk != entry.portfolio.user_id:
        raise ValidationError("Only the learner can claim a credential for their own work.")
    if not entry.is_published:
        raise ValidationError("Publish the entry on your portfolio first.")
    if not entry.portfolio.is_world_visible:
        raise ValidationError(
            "Make your portfolio public or unlisted first: a credential's evidence is your published entry, "
            "and whoever checks it must be able to open it."
        )
    if entry.work.state != WeeklyWork.State.ACCEPTED:
        raise ValidationError("Only accepted work earns a credential.")


@transaction.atomic
def credential_claim(*, entry: PortfolioEntry, by: User, now: datetime.datetime | None = None) -> Credential:
    """Issue the Open Badges 3.0 credential of a published entry (or return the one already
    issued and not revoked: claiming twice gives the same credential)."""
    entry = (
        PortfolioEntry.objects.select_for_update(of=("self",))
        .select_related("portfolio__user", "work__week__course", "work__deliverable__project__course")
        .get(pk=entry.pk)
    )
    _claimable(entry, by)
    existing = Credential.objects.active().filter(entry=entry).first()
    if existing:
        return existing
    now = (now or timezone.now()).replace(microsecond=0)
    keys = issuer_keys()
    proofs = list(entry.proofs.order_by("order", "pk"))
    for _ in range(INDEX_ATTEMPTS):
        # A random free index: neighbours in the list say nothing about each other.
        index = secrets.randbelow(STATUS_LIST_LENGTH)
        if Credential.objects.filter(status_index=index).exists():
            continue
        credential = Credential(user=entry.portfolio.user, entry=entry, title=entry.title[:300], status_index=index)
        payload = documents.credential_payload(
            credential_id=credential.pk, entry=entry, proofs=proofs, issued_at=now, status_index=index
        )
        credential.jwt = signing.sign(payload, keys, issued_at=now)
        credential.key_id = keys.signing_kid
        credential.issued_at = now
        credential.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                credential.save(force_insert=True)
        except IntegrityError:
            continue  # another claim took the index meanwhile
        portfolio_page_changed(portfolio=entry.portfolio)
        return credential
    raise ValidationError("The status list is full; ask an administrator to start a new one.")


def _revoke(credentials, *, reason: str, now: datetime.datetime | None = None) -> int:
    return credentials.active().update(revoked_at=now or timezone.now(), revocation_reason=reason)


@transaction.atomic
def credentials_revoke_for_entry(*, entry: PortfolioEntry, by: User, **_signal) -> int:
    """The entry left the public page: its credentials are revoked (the learner can claim a
    new one after republishing). Connected to portfolios.signals.entry_unpublished."""
    reason = Credential.Reason.UNPUBLISHED if by.pk == entry.portfolio.user_id else Credential.Reason.MODERATED
    return _revoke(Credential.objects.filter(entry=entry), reason=reason)


@transaction.atomic
def credentials_revoke_for_portfolio(*, portfolio: Portfolio, moderated: bool, **_signal) -> int:
    """The portfolio is private now: every credential of its entries is revoked. Connected to
    portfolios.signals.portfolio_made_private."""
    reason = Credential.Reason.MODERATED if moderated else Credential.Reason.PRIVATE
    return _revoke(Credential.objects.filter(entry__portfolio=portfolio), reason=reason)


@transaction.atomic
def credentials_erase_for_user(*, user: User) -> tuple[int, int]:
    """Erasure: revoke every credential of the person, then strip what names them. The rows
    stay as bare revoked indexes, so the status list keeps saying "revoked" for every copy of a
    credential still out there, and no index is ever given to someone else. Returns (revoked,
    stripped)."""
    mine = Credential.objects.filter(user=user)
    revoked = _revoke(mine, reason=Credential.Reason.ERASED)
    stripped = mine.update(user=None, entry=None, title="", jwt="")
    return revoked, stripped
