"""Reads that the privacy pages and the API share."""

from django.db.models import QuerySet

from accounts.models import User

from .models import DataExport, ErasureRequest


def exports_for(user: User) -> QuerySet[DataExport]:
    """A person's archives, newest first (one query)."""
    return DataExport.objects.filter(user=user).select_related("requested_by").order_by("-created_at", "-pk")


def open_erasure_for(user: User) -> ErasureRequest | None:
    return ErasureRequest.objects.open().filter(user=user).select_related("requested_by").first()


def erasures_for(user: User) -> QuerySet[ErasureRequest]:
    return ErasureRequest.objects.filter(user=user).select_related("requested_by").order_by("-requested_at", "-pk")
