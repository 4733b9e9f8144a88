"""Roster sync (LTI Names and Role Provisioning Services): an instructor reads the LMS
course's members into the cohort, seeing first what would change.

- `roster_preview` reads every page of the context's memberships (a POST: it calls the LMS),
  compares it with the cohort and stores the plan as a `RosterSync` (nothing else changes):
  who would be **added** (with their role), whose **role would change**, who would be
  **removed**, who is **waiting** (in the LMS but not linked to an account here yet), and
  who is **kept** (members added here by hand, whom the LMS does not know).
- `roster_apply` applies that stored plan, not a fresh read (what was shown is what
  happens), through cohorts.services, each change checked again against the cohort as it
  is now; running it twice changes nothing the second time.

People are matched by the LMS's stable user id (`sub`) through LmsAccount, never by e-mail,
and their roles mapped and applied as at launch (lti.claims.role_for,
lti.services.membership_sync): an LMS member we do not know yet is "waiting" until their first
launch links them. Only members linked to this LMS are ever removed, and never the person applying.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cohorts import services as cohort_services
from cohorts.models import Membership

from .. import advantage
from ..claims import role_for
from ..models import Context, LmsAccount, RosterSync
from . import membership_sync


def _person(member: dict) -> dict:
    return {
        "sub": str(member.get("user_id", "")),
        "name": member.get("name") or " ".join(filter(None, [member.get("given_name"), member.get("family_name")])),
        "email": member.get("email") or "",
    }


@transaction.atomic
def roster_preview(*, context: Context, by: User) -> RosterSync:
    """Read the LMS roster and store what applying it would change (see the module docstring)."""
    if not context.memberships_url:
        raise ValidationError("The LMS announced no roster service (Names and Role Provisioning) for this course.")
    if context.cohort_id is None:
        raise ValidationError("This LMS course is not set up as a cohort yet.")
    client = advantage.AdvantageClient(context.platform, [advantage.SCOPE_MEMBERSHIPS])
    try:
        members = list(advantage.memberships(client, context.memberships_url))
    except advantage.LmsError as exc:
        raise ValidationError(f"The roster could not be read from the LMS. {exc}") from exc

    accounts = {
        account.sub: account
        for account in LmsAccount.objects.filter(platform_id=context.platform_id).select_related("user")
    }
    current = {m.user_id: m for m in Membership.objects.filter(cohort_id=context.cohort_id).select_related("user")}
    plan: dict[str, list] = {"add": [], "change": [], "remove": [], "waiting": [], "kept": []}
    in_lms: set[int] = set()
    for member in members:
        person = _person(member)
        active = member.get("status", "Active") == "Active"
        role = role_for(member.get("roles") or []) if active else None
        account = accounts.get(person["sub"])
        if account is not None and active:
            in_lms.add(account.user_id)
        if role is None:
            continue
        if account is None:
            plan["waiting"].append({**person, "role": role})
            continue
        entry = {
            **person,
            "role": role,
            "user_id": account.user_id,
            "name": person["name"] or account.user.display_name,
        }
        membership = current.get(account.user_id)
        if membership is None:
            plan["add"].append(entry)
        elif membership.role != role:
            plan["change"].append({**entry, "from_role": membership.role})
    linked_here = {account.user_id for account in accounts.values()}
    for user_id, membership in current.items():
        if user_id in in_lms:
            continue
        entry = {
            "user_id": user_id,
            "name": membership.user.display_name,
            "email": membership.user.email,
            "role": membership.role,
        }
        if user_id in linked_here and user_id != by.pk:
            plan["remove"].append(entry)
        else:
            plan["kept"].append(entry)
    for rows in plan.values():
        rows.sort(key=lambda row: (row.get("name") or "").lower())
    sync = RosterSync(
        context=context, cohort_id=context.cohort_id, requested_by=by, plan=plan, members_read=len(members)
    )
    sync.full_clean()
    sync.save()
    return sync


@transaction.atomic
def roster_apply(*, sync: RosterSync, by: User) -> RosterSync:
    """Apply a previewed plan once (see the module docstring)."""
    sync = RosterSync.objects.select_for_update().select_related("cohort").get(pk=sync.pk)
    if sync.applied_at is not None:
        raise ValidationError("This roster sync was applied already; preview the roster again for newer changes.")
    cohort = sync.cohort
    users = User.objects.in_bulk(
        [row["user_id"] for key in ("add", "change", "remove") for row in sync.plan.get(key, [])]
    )
    current = {m.user_id: m for m in Membership.objects.select_for_update().filter(cohort=cohort)}
    done = {"added": 0, "changed": 0, "removed": 0, "skipped": 0}
    for row in sync.plan.get("add", []):
        user = users.get(row["user_id"])
        if user is None or row["user_id"] in current:
            done["skipped"] += 1
            continue
        membership_sync(cohort=cohort, user=user, role=row["role"])
        done["added"] += 1
    for row in sync.plan.get("change", []):
        membership = current.get(row["user_id"])
        if membership is None or membership.role != row["from_role"]:
            done["skipped"] += 1
            continue
        membership_sync(cohort=cohort, user=membership.user, role=row["role"])
        done["changed"] += 1
    for row in sync.plan.get("remove", []):
        membership = current.get(row["user_id"])
        if membership is None or row["user_id"] == by.pk:
            done["skipped"] += 1
            continue
        cohort_services.membership_remove(membership=membership)
        done["removed"] += 1
    sync.applied_at = timezone.now()
    sync.applied_by = by
    sync.result = done
    sync.save(update_fields=["applied_at", "applied_by", "result"])
    return sync
