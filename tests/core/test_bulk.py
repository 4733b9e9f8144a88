"""core.bulk.insert_ignoring_conflicts: many rows without an instance each, as bulk_create would
have written them (defaults, auto_now_add, JSON), conflicts left alone."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.bulk import insert_ignoring_conflicts
from notifications.models import ReminderLog
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def rows(users, period="p1", context=None):
    return {
        "recipient_id": [user.pk for user in users],
        "kind": ["system"] * len(users),
        "subject_key": [f"subject-{user.pk}" for user in users],
        "period_key": [period] * len(users),
        "title": [f"Title “{user.pk}” with 'quotes', {{braces}} and \\ backslash" for user in users],
        "body": ["Body\nwith a new line"] * len(users),
        "url": ["/somewhere/"] * len(users),
        "context": [context if context is not None else {"sections": [{"heading": "H", "items": ["a", "b"]}]}]
        * len(users),
    }


def test_rows_are_written_with_the_fields_defaults_and_their_json():
    users = UserFactory.create_batch(3)
    insert_ignoring_conflicts(ReminderLog, rows=rows(users))
    logs = list(ReminderLog.objects.order_by("recipient_id"))
    assert [log.recipient_id for log in logs] == sorted(user.pk for user in users)
    log = logs[0]
    assert log.title == f"Title “{log.recipient_id}” with 'quotes', {{braces}} and \\ backslash"
    assert log.body == "Body\nwith a new line"
    assert log.context == {"sections": [{"heading": "H", "items": ["a", "b"]}]}
    # What bulk_create would have given the fields not passed.
    assert (log.status, log.attempts, log.emailed, log.claim_token, log.last_error) == ("pending", 0, False, "", "")
    assert log.created_at is not None and log.sent_at is None and log.claimed_at is None


def test_rows_a_unique_constraint_holds_are_left_alone():
    users = UserFactory.create_batch(2)
    insert_ignoring_conflicts(ReminderLog, rows=rows(users[:1], context={"first": True}))
    insert_ignoring_conflicts(ReminderLog, rows=rows(users, context={"second": True}))
    assert ReminderLog.objects.count() == 2
    assert ReminderLog.objects.get(recipient=users[0]).context == {"first": True}
    assert ReminderLog.objects.get(recipient=users[1]).context == {"second": True}


def test_one_statement_per_batch_and_none_for_no_rows():
    users = UserFactory.create_batch(5)
    with CaptureQueriesContext(connection) as run:
        insert_ignoring_conflicts(ReminderLog, rows=rows(users), batch_size=2)
        insert_ignoring_conflicts(ReminderLog, rows=rows([]))
    assert len(run.captured_queries) == 3
    assert ReminderLog.objects.count() == 5
