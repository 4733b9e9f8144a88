"""`field__any_of=[...]` (core/lookups.py): the rows of `__in`, with the list sent as one
parameter on PostgreSQL however long it is."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_any_of_finds_the_rows_in_finds():
    users = [UserFactory() for _ in range(4)]
    wanted = [users[0].pk, users[2].pk, users[3].pk + 1000]
    assert list(User.objects.filter(pk__any_of=wanted).order_by("pk")) == list(
        User.objects.filter(pk__in=wanted).order_by("pk")
    )
    assert set(User.objects.filter(pk__any_of=wanted).values_list("pk", flat=True)) == {users[0].pk, users[2].pk}


def test_a_long_list_is_one_parameter_on_postgresql():
    users = [UserFactory() for _ in range(3)]
    ids = [user.pk for user in users] + list(range(10**9, 10**9 + 3000))
    with CaptureQueriesContext(connection) as captured:
        assert User.objects.filter(pk__any_of=ids).count() == 3
    sql = captured.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and "IN (" not in sql
    else:
        assert "IN (" in sql


def test_an_empty_list_matches_nothing_without_a_query(django_assert_num_queries):
    UserFactory()
    with django_assert_num_queries(0):
        assert list(User.objects.filter(pk__any_of=[])) == []
