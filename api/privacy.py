"""What the API machinery holds about a person (see core.privacy): stored responses of
`Idempotency-Key` requests, which repeat what the person sent and got back. Nothing worth
exporting (they live for a day); erasure deletes them; the retention sweep forgets them after
RETENTION_IDEMPOTENCY_HOURS."""

from core.privacy import DataProvider, Erasure

from .models import IdempotencyRecord
from .services import idempotency_records_purge


def _erase(erasure: Erasure) -> None:
    erasure.count("API idempotency records deleted", IdempotencyRecord.objects.filter(user=erasure.user).delete()[0])


def _retention() -> dict[str, int]:
    return {"idempotency records": idempotency_records_purge()}


PROVIDER = DataProvider(
    label="API request records", models=("api.IdempotencyRecord",), erase=_erase, retention=_retention
)
