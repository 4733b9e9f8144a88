"""Fixtures for the credential tests: the portfolio tests' accepted work and published portfolio
(files in a temporary media folder, an empty page cache), and a claimed credential."""

import pytest

from credentials import services
from tests.portfolios.conftest import accepted, empty_cache, media_root, published  # noqa: F401


@pytest.fixture
def claimed(people, published):  # noqa: F811  (the imported fixture)
    """people.student's credential for their first published entry (week 2, one file proof)."""
    _, entries = published
    return services.credential_claim(entry=entries[0], by=people.student)
