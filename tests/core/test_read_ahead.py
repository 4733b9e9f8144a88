"""core.read_ahead: the next chunks loaded on threads of their own, each on a connection of its
own that is closed after it; in order, errors raised where the chunk is asked for, and nothing
read ahead where another connection would not see what this one sees."""

import contextvars
import threading
import time

import pytest
from django.db import connection, transaction

from accounts.models import User
from core.read_ahead import may_read_ahead, read_ahead
from tests.factories import UserFactory

request_id = contextvars.ContextVar("request_id", default=None)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def open_backends(pids, *, within: float = 10.0) -> set[int]:
    """Those of these server processes still there once they had `within` seconds to go (a
    closed connection's backend leaves pg_stat_activity a moment after the client hung up)."""
    deadline = time.monotonic() + within
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)])
            found = {row[0] for row in cursor.fetchall()}
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_chunks_come_in_order_each_read_on_another_thread_and_connection_then_closed():
    users = UserFactory.create_batch(6)
    chunks = [[user.pk for user in users[i : i + 2]] for i in range(0, 6, 2)]
    caller = threading.get_ident()
    seen = []

    def load(ids):
        seen.append((threading.get_ident(), backend_pid(), request_id.get()))
        return sorted(User.objects.filter(pk__in=ids).values_list("email", flat=True))

    request_id.set("r-1")
    assert may_read_ahead()
    loaded = list(read_ahead(chunks, load))

    assert loaded == [sorted(user.email for user in users[i : i + 2]) for i in range(0, 6, 2)]
    assert all(thread != caller for thread, _, _ in seen)
    assert all(context == "r-1" for _, _, context in seen), "the caller's context comes along"
    pids = {pid for _, pid, _ in seen}
    assert backend_pid() not in pids  # never the caller's connection
    assert len(pids) == 3  # a connection per load...
    assert open_backends(pids) == set()  # ...each closed after it


@pytest.mark.django_db(transaction=True)
def test_a_load_that_fails_raises_in_the_caller_after_the_chunks_before_it():
    def load(number):
        if number == 3:
            raise RuntimeError("the database went away")
        return number * 10

    got = []
    with pytest.raises(RuntimeError, match="went away"):
        for value in read_ahead(range(1, 6), load):
            got.append(value)
    assert got == [10, 20]


@pytest.mark.django_db(transaction=True)
def test_a_caller_that_stops_early_leaves_the_rest_unread():
    loaded = []
    started = threading.Event()

    def load(number):
        loaded.append(number)
        started.set()
        return number

    chunks = read_ahead(range(100), load, ahead=2)
    assert next(chunks) == 0
    chunks.close()
    assert started.is_set()
    assert len(loaded) <= 4  # the one given, the two ahead, at most one more starting as it stopped
    assert set(loaded) <= {0, 1, 2, 3}


@pytest.mark.django_db
def test_inside_a_transaction_each_chunk_is_read_in_turn_on_the_callers_connection():
    """A second connection would not see this transaction's rows (a test's, a caller's atomic
    block): the chunks are loaded by the caller, in turn."""
    user = UserFactory()  # uncommitted: only this connection sees it
    caller, pid = threading.get_ident(), backend_pid()
    seen = []

    def load(ids):
        seen.append((threading.get_ident(), backend_pid()))
        return list(User.objects.filter(pk__in=ids).values_list("pk", flat=True))

    assert not may_read_ahead()
    assert list(read_ahead([[user.pk], [user.pk]], load)) == [[user.pk], [user.pk]]
    assert seen == [(caller, pid), (caller, pid)]


@pytest.mark.django_db(transaction=True)
def test_an_atomic_block_of_the_caller_also_reads_in_turn():
    with transaction.atomic():
        assert not may_read_ahead()
    assert may_read_ahead()
