"""Finding a person by part of their name or e-mail (accounts.selectors.name_or_email_contains,
used by the cohort page's searches and pickers) does not read every account on PostgreSQL:
the trigram indexes of accounts/migrations/0003 answer the case-insensitive "contains"."""

import json

import pytest
from django.db import connection

from accounts.models import User
from cohorts.models import Membership
from cohorts.selectors import cohort_memberships
from tests.factories import CohortFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = 20_000
COHORT = 2_000  # a large cohort: reading its members one by one would be 2,000 rows too


def _rows_read(queryset, table: str) -> int:
    plan = json.loads(queryset.explain(format="json", analyze=True))[0]["Plan"]
    total, nodes = 0, [plan]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        if node.get("Relation Name") == table:
            total += node["Actual Rows"] * node["Actual Loops"]
            total += node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
    return total


def test_a_search_reads_the_matching_accounts_not_all_of_them(course):
    users = User.objects.bulk_create(
        User(email=f"someone{i:05d}@example.com", name=f"Some Person {i:05d}") for i in range(ACCOUNTS)
    )
    cohort = CohortFactory(course=course)
    Membership.objects.bulk_create(
        Membership(cohort=cohort, user=u, role=Membership.Role.STUDENT) for u in users[:COHORT]
    )
    ada = User.objects.create(email="ada@example.com", name="Ada Lovelace")
    Membership.objects.create(cohort=cohort, user=ada, role=Membership.Role.STUDENT)
    found = cohort_memberships(cohort, search="LOVELACE")
    assert [m.user for m in found] == [ada]
    if connection.vendor != "postgresql":
        return  # SQLite, the embedded default, has no trigram index: it scans (small installs)
    with connection.cursor() as cursor:
        # What autovacuum does after a bulk insert: move the GIN indexes' pending entries into
        # the index proper (the planner prices a long pending list as a scan of it).
        cursor.execute("SELECT gin_clean_pending_list('user_name_upper_trgm'::regclass)")
        cursor.execute("SELECT gin_clean_pending_list('user_email_upper_trgm'::regclass)")
        cursor.execute("ANALYZE accounts_user, cohorts_membership")
    assert _rows_read(found, "accounts_user") < 100
