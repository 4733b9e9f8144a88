"""Reads that may come from a PostgreSQL replica (DATABASE_REPLICA_URL), and everything else
from the primary.

Nothing reads from the replica unless it asks to: a block of code that only gathers data for
a report or an export runs inside `replica_reads()`, and every other query, every write and
every read after a write, goes to the primary as if there were no replica. A replica lags
behind its primary by a moment, so three rules keep a reader from missing what was just
written:

- inside a transaction, reads stay on the primary (the transaction may hold its own writes);
- a person who changed something recently is pinned to the primary for
  DATABASE_REPLICA_PIN_SECONDS: `ReplicaPinningMiddleware` sets a short cookie on every
  request that is not GET/HEAD/OPTIONS or that wrote, and requests carrying it never read
  from the replica (publish a portfolio entry, then export the portfolio: the export sees it);
- a write inside a `replica_reads()` block does not change where that block reads: the code
  in such a block writes only what it never reads back (a report's progress).

Without DATABASE_REPLICA_URL there is one database and all of this is inert.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PRIMARY = "default"
PIN_COOKIE = "primary_pin"

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)
_pinned: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)
_wrote: ContextVar[bool] = ContextVar("wrote_to_primary", default=False)


def replica_configured() -> bool:
    return bool(settings.DATABASE_REPLICA_URL)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block come from the replica, when there is one and nothing pins this
    request to the primary. For gathering the data of a report or an export only."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_reads_while_streaming(chunks: Iterable) -> Iterator:
    """The same for a streamed response, whose content is produced after the view (and the
    pinning middleware) returned: the request's pin is carried over to the streaming."""
    pinned = _pinned.get()

    def stream() -> Iterator:
        token = _pinned.set(pinned)
        try:
            with replica_reads():
                yield from chunks
        finally:
            _pinned.reset(token)

    return stream()


def reads_from_replica() -> bool:
    """Whether a read made here would go to the replica."""
    return (
        _replica_reads.get() and not _pinned.get() and replica_configured() and not connections[PRIMARY].in_atomic_block
    )


class PrimaryReplicaRouter:
    """Django's database router (DATABASE_ROUTERS) for the rules above."""

    def db_for_read(self, model, **hints) -> str:
        return REPLICA if reads_from_replica() else PRIMARY

    def db_for_write(self, model, **hints) -> str:
        _wrote.set(True)
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # The same data on both: an object read from the replica may point at one from the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool:
        # The replica copies the primary's schema; nothing is ever migrated on it.
        return db == PRIMARY


class ReplicaPinningMiddleware:
    """Pins a person who just changed something to the primary for a few seconds."""

    SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

    def __init__(self, get_response) -> None:
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.seconds = settings.DATABASE_REPLICA_PIN_SECONDS

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pinned = _pinned.set(PIN_COOKIE in request.COOKIES)
        wrote = _wrote.set(False)
        try:
            response = self.get_response(request)
            if request.method not in self.SAFE_METHODS or _wrote.get():
                response.set_cookie(
                    PIN_COOKIE,
                    "1",
                    max_age=self.seconds,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
            return response
        finally:
            _pinned.reset(pinned)
            _wrote.reset(wrote)
