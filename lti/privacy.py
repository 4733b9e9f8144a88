"""What the LTI app holds about a person: the LMS accounts linked to theirs (issuer, `sub`,
the name and address the LMS last sent)."""

from core.privacy import DataProvider, Erasure, ExportArchive

from .models import LmsAccount


def _export(user, archive: ExportArchive) -> None:
    archive.add_json(
        "lms_accounts.json",
        [
            {
                "issuer": account.issuer,
                "sub": account.sub,
                "email": account.email,
                "name": account.name,
                "linked_at": account.created_at.isoformat(),
                "last_launch_at": account.last_launch_at.isoformat() if account.last_launch_at else None,
            }
            for account in LmsAccount.objects.filter(user=user).order_by("pk")
        ],
    )


def _erase(erasure: Erasure) -> None:
    # The link goes: a later launch from the LMS makes a new account instead of reviving this one.
    erasure.count("LMS account links", LmsAccount.objects.filter(user=erasure.user).delete()[0])


PROVIDER = DataProvider(label="LMS accounts (LTI)", models=("lti.LmsAccount",), export=_export, erase=_erase)
