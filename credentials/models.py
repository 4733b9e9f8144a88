"""Open Badges 3.0 credentials issued for published portfolio entries.

A `Credential` keeps the signed credential exactly as issued (the compact JWS the learner
downloads) and its place in the status list. Revoking sets `revoked_at`; the bit at
`status_index` in the served Bitstring Status List then reads 1. A row is never deleted while
its index could still be checked: erasing a learner strips everything that names them and
keeps the revoked index, so the bit stays set and an index is never handed out twice.
"""

import uuid

from django.conf import settings
from django.db import models

from portfolios.models import PortfolioEntry

# The Bitstring Status List's length: 131,072 bits (16 KB), the minimum the specification asks
# for, so a list says little about how many credentials exist ("herd privacy").
STATUS_LIST_LENGTH = 131_072


class CredentialQuerySet(models.QuerySet):
    def active(self) -> "CredentialQuerySet":
        return self.filter(revoked_at__isnull=True)

    def revoked(self) -> "CredentialQuerySet":
        return self.filter(revoked_at__isnull=False)


class Credential(models.Model):
    class Reason(models.TextChoices):
        UNPUBLISHED = "unpublished", "The learner unpublished the entry"
        MODERATED = "moderated", "Taken down by moderation"
        PRIVATE = "private", "The portfolio was made private"
        ERASED = "erased", "The learner's data was erased"

    # The public id: in the credential's URL and its `id`.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="credentials"
    )
    entry = models.ForeignKey(
        PortfolioEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="credentials"
    )
    title = models.CharField(max_length=300, blank=True)
    status_index = models.PositiveIntegerField(unique=True)
    key_id = models.CharField(max_length=300, help_text="The verification method that signed it.")
    jwt = models.TextField(blank=True, help_text="The signed credential (VC-JOSE compact JWS) as issued.")
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)

    objects = CredentialQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"], condition=models.Q(revoked_at__isnull=True), name="credential_one_active_per_entry"
            ),
            models.CheckConstraint(
                condition=models.Q(status_index__lt=STATUS_LIST_LENGTH), name="credential_status_index_in_list"
            ),
        ]
        indexes = [models.Index(fields=["user", "issued_at"])]

    def __str__(self) -> str:
        return self.title or str(self.pk)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
