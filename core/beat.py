"""Celery beat as exactly one scheduler, even when two are started by mistake.

Two beat processes would each send every periodic task: every sweep twice. The tasks are
idempotent (each reminder goes out once however often the sweep runs, report builds claim
their run), so a second beat would cost work rather than correctness, but it must not be the
normal state. So beat uses `LockedDatabaseScheduler`: django-celery-beat's DatabaseScheduler
(the schedule is edited in the admin) that schedules only while it holds a lock in Redis.

- The lock is redis-py's `Lock` (SET NX PX with a random token; extending it checks the token
  in Redis), kept for CELERY_BEAT_LOCK_TTL seconds and renewed on every tick, which comes at
  least three times per TTL.
- A beat that does not hold it is a standby: it sends nothing and tries again every few
  seconds. When the active beat stops (SIGTERM releases the lock at once) or dies (SIGKILL, a
  lost machine: the lock expires after the TTL), a standby takes over; it reads the schedule
  and each task's last run time from the database, where the active beat saved them after
  every task it sent (CELERY_BEAT_SYNC_EVERY = 1), so a take-over repeats nothing that ran.
- A beat that cannot renew its lock (Redis unreachable, or the lock expired and another took
  it) stops scheduling before another could start, and becomes a standby.
- Without Redis (the embedded default: tasks run in-process, no broker), there is nothing to
  share a lock with and beat schedules as django-celery-beat would.
"""

import logging
import os
import socket
import uuid

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)

LOCK_NAME = "courseplatform:celery-beat:lock"


class LockedDatabaseScheduler(DatabaseScheduler):
    """DatabaseScheduler that schedules only while it holds the beat lock in Redis."""

    def __init__(self, *args, **kwargs) -> None:
        self.lock_ttl = float(settings.CELERY_BEAT_LOCK_TTL)
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lock = None
        if settings.REDIS_URL:
            client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
            self.lock = client.lock(LOCK_NAME, timeout=self.lock_ttl, blocking=False, thread_local=False)
        self.active = self.lock is None
        self.announced_standby = False
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs) -> float:
        if not self._hold_lock():
            # A standby checks often enough to take over soon after the lock expires.
            return min(self.max_interval, self.lock_ttl / 3)
        return min(super().tick(*args, **kwargs), self.lock_ttl / 3)

    def _hold_lock(self) -> bool:
        if self.lock is None:
            return True
        try:
            if self.active:
                self.lock.reacquire()
            elif self.lock.acquire(token=self.identity):
                self._become_active()
            elif not self.announced_standby:
                logger.info("Beat %s stands by: another beat holds the beat lock.", self.identity)
                self.announced_standby = True
        except (LockError, RedisError) as exc:
            if self.active:
                logger.warning("Beat %s lost the beat lock (%s): standing by, scheduling nothing.", self.identity, exc)
                self.announced_standby = True
            self.active = False
        return self.active

    def _become_active(self) -> None:
        logger.info("Beat %s holds the beat lock: scheduling.", self.identity)
        self.active = True
        # Read the schedule and last run times afresh: the beat before us may have run tasks
        # since this process last looked.
        self._initial_read = True
        self._heap = None

    def close(self) -> None:
        if self.lock is not None and self.active:
            try:
                self.lock.release()
                logger.info("Beat %s released the beat lock.", self.identity)
            except (LockError, RedisError):
                logger.warning("Beat %s could not release the beat lock; it expires by itself.", self.identity)
            self.active = False
        super().close()
