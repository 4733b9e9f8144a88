"""Reading the next chunk of a long job while the caller works on this one.

A cohort report reads its students a chunk at a time, and each chunk is first the database's
work (a dozen statements) and then Python's (rows formatted, written). One after the other, the
build waits for each: at 3,334 students the CSV took 10.2 s of which the process was busy 4.5 s
(docs/performance.md, 6 December). `read_ahead` loads the next chunks on threads of their own
while the caller formats this one, so the database's time and the process's overlap (two ahead:
the database server works on two chunks at once, on a machine of two cores or more).

Each load reads on a database connection of its own (Django's are per thread), opened for it and
closed after it, and in the caller's context (contextvars: the replica routing of
core.db_routing comes along). A connection of its own sees only what is committed, so there is
no reading ahead inside a transaction (a test's, or a caller's atomic block): each chunk is then
loaded in turn, on the caller's connection, exactly as before. Nor on SQLite, whose writers wait
for its readers (a build updates its progress row between chunks). An error in a load (a
database that went away) is raised in the caller when it asks for that chunk, as it would have
been without the thread.
"""

import contextvars
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

Item = TypeVar("Item")
Loaded = TypeVar("Loaded")


def may_read_ahead(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether a second connection would read what this one reads: outside a transaction, on a
    database with concurrent readers and writers."""
    connection = connections[using]
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def read_ahead(items: Iterable[Item], load: Callable[[Item], Loaded], *, ahead: int = 2) -> Iterator[Loaded]:
    """`load(item)` for each item in order, the next `ahead` items loading on threads of their
    own while the caller works on the one it was given (so memory holds ahead + 1 chunks)."""
    items = list(items)
    if len(items) < 2 or not may_read_ahead():
        for item in items:
            yield load(item)
        return
    pending: deque[Future] = deque()
    with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="read-ahead") as pool:
        try:
            for item in items:
                pending.append(pool.submit(contextvars.copy_context().run, _load_and_close, load, item))
                if len(pending) > ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()  # the caller stopped early: what has not started never will


def _load_and_close(load: Callable[[Item], Loaded], item: Item) -> Loaded:
    # Each load on a connection of its own, closed after it: a pool thread has no "end of
    # request" at which Django would close it, and a connection left open would outlive the job.
    try:
        return load(item)
    finally:
        connections.close_all()
