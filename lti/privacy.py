"""What the LTI app holds about a person: the LMS accounts linked to theirs (issuer, `sub`,
the name and address the LMS last sent), the scores of theirs sent to an LMS (grade sync
records) and the roster reads they asked for or applied."""

from core.privacy import DataProvider, Erasure, ExportArchive

from .models import GradeSync, LmsAccount, RosterSync


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
    archive.add_json(
        "lms_grade_syncs.json",
        [
            {
                "work_id": sync.work_id,
                "score": str(sync.score_given),
                "status": sync.status,
                "line_item": sync.line_item_url,
                "sent_at": sync.sent_at.isoformat() if sync.sent_at else None,
            }
            for sync in GradeSync.objects.filter(student=user).order_by("pk")
        ],
    )


def _erase(erasure: Erasure) -> None:
    # The link goes: a later launch from the LMS makes a new account instead of reviving this one.
    erasure.count("LMS account links", LmsAccount.objects.filter(user=erasure.user).delete()[0])
    # What went to the LMS stays there (the LMS is its own controller); our record of it goes.
    erasure.count("LMS grade sync records", GradeSync.objects.filter(student=erasure.user).delete()[0])
    # Who asked for a roster read or a retry is not kept once they are erased.
    RosterSync.objects.filter(requested_by=erasure.user).update(requested_by=None)
    RosterSync.objects.filter(applied_by=erasure.user).update(applied_by=None)
    GradeSync.objects.filter(retried_by=erasure.user).update(retried_by=None)


PROVIDER = DataProvider(
    label="LMS accounts (LTI)",
    models=("lti.LmsAccount", "lti.GradeSync", "lti.RosterSync"),
    export=_export,
    erase=_erase,
)
