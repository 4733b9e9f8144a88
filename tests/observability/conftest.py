import pytest
from django.test import Client

from tests.observability.support import METRICS_TOKEN, exported_series_names


@pytest.fixture
def exported_series(db, settings) -> set[str]:
    """The series names /metrics offers (this process's, in single-process mode: the same
    families the multiprocess exposition adds up)."""
    settings.METRICS_TOKEN = METRICS_TOKEN
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    return exported_series_names(response.content.decode())
