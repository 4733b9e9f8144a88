"""What credentials holds about a person (see core.privacy): the credentials issued to them.

Export: each credential as issued (the signed JWT and its content) and whether it was revoked.
Erasure revokes every credential of the person first (so copies already shared stop verifying)
and then strips what names them; the bare revoked index stays so the status list keeps saying
"revoked" and the index is never reused. It runs before the portfolio's own erasure (erasure
runs the providers top layer first)."""

from accounts.models import User
from core.privacy import DataProvider, Erasure, ExportArchive

from .models import Credential
from .services import credentials_erase_for_user
from .signing import payload_of


def _export(user: User, archive: ExportArchive) -> None:
    archive.add_json(
        "credentials.json",
        [
            {
                "id": str(c.pk),
                "title": c.title,
                "issued_at": c.issued_at.isoformat(),
                "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
                "revocation_reason": c.revocation_reason,
                "jwt": c.jwt,
                "credential": payload_of(c.jwt) if c.jwt else None,
            }
            for c in Credential.objects.filter(user=user).order_by("issued_at", "pk")
        ],
    )


def _erase(erasure: Erasure) -> None:
    revoked, stripped = credentials_erase_for_user(user=erasure.user)
    erasure.count("credentials revoked", revoked)
    erasure.count("credentials stripped of personal data", stripped)


PROVIDER = DataProvider(label="Credentials", models=("credentials.Credential",), export=_export, erase=_erase)
