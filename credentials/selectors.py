"""Reads shared by the pages and the panels, each in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable

from .models import Credential


def revoked_indexes() -> list[int]:
    """Every revoked status index (one query over the index column)."""
    return list(Credential.objects.revoked().values_list("status_index", flat=True))


def is_index_revoked(index: int) -> bool:
    return Credential.objects.revoked().filter(status_index=index).exists()


def active_by_entry(entry_ids: Iterable[int]) -> dict[int, Credential]:
    """The credential in force of each entry (one query)."""
    ids = list(entry_ids)
    if not ids:
        return {}
    return {c.entry_id: c for c in Credential.objects.active().filter(entry_id__in=ids).only("pk", "entry_id", "title")}


def credentials_of(user) -> list[Credential]:
    return list(Credential.objects.filter(user=user).select_related("entry__portfolio").order_by("-issued_at"))
