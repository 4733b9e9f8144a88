import hashlib
import json

import factory
from django.utils import timezone

from api.models import IdempotencyRecord

from .accounts import UserFactory

__all__ = ["IdempotencyRecordFactory"]


def _fingerprint(body: dict) -> str:
    """What api.idempotency.request_fingerprint stores for a JSON body: the SHA-256 of the
    canonical JSON (sorted keys, no spaces)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class IdempotencyRecordFactory(factory.django.DjangoModelFactory):
    """A completed `POST /api/v1/cohorts/<slug>/memberships/` sent with an Idempotency-Key,
    holding the 201 response a retry replays. Pass response_status=None, response_body=""
    and completed_at=None for a request still running."""

    class Meta:
        model = IdempotencyRecord

    class Params:
        cohort_slug = factory.Sequence(lambda n: f"cohort-{n}")
        body = factory.LazyAttribute(lambda o: {"email": f"newcomer-{o.key[:8]}@example.com", "role": "student"})

    user = factory.SubFactory(UserFactory)
    key = factory.Faker("uuid4")
    method = "POST"
    path = factory.LazyAttribute(lambda o: f"/api/v1/cohorts/{o.cohort_slug}/memberships/")
    request_sha256 = factory.LazyAttribute(lambda o: _fingerprint(o.body))
    response_status = 201
    response_body = factory.LazyAttribute(
        lambda o: json.dumps({"id": 1, "user": {"email": o.body["email"]}, "role": o.body["role"]})
    )
    response_headers = factory.LazyFunction(dict)
    completed_at = factory.LazyFunction(timezone.now)
