"""A per-phone lock whose lease is renewed while its holder lives.

The lease is short so that a worker killed mid-turn (kill -9) frees the phone within seconds;
one daemon thread per process (`LeaseKeeper`) renews every held lease when a third of it has
passed, for as long as a slow turn (an LLM call) runs. One keeper, not a thread per turn:
starting and joining a thread cost every turn more than the renewals of all of them.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from redis.exceptions import LockError, RedisError
from redis.lock import Lock

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Renews the leases of every lock held in this process, from one daemon thread."""

    def __init__(self) -> None:
        """A keeper whose thread starts with the first lock it is given."""
        self._wake = threading.Condition()
        self._leases: dict[int, tuple[Lock, float]] = {}  # ticket -> (lock, lease seconds)
        self._due: list[tuple[float, int]] = []  # (when to renew, ticket), a heap
        self._tickets = itertools.count()
        self._pid = 0  # the process whose thread runs (a forked child starts its own)

    def keep(self, lock: Lock, lease_seconds: float) -> int:
        """Renew acquired `lock` every third of `lease_seconds` until `drop`; its ticket."""
        with self._wake:
            if self._pid != os.getpid():
                # First use, or a forked child: the parent's thread and locks are not its own.
                self._pid = os.getpid()
                self._leases.clear()
                self._due.clear()
                threading.Thread(target=self._run, name="lease-keeper", daemon=True).start()
            ticket = next(self._tickets)
            self._leases[ticket] = (lock, lease_seconds)
            heapq.heappush(self._due, (time.monotonic() + lease_seconds / 3, ticket))
            if self._due[0][1] == ticket:
                self._wake.notify()  # sooner than what the thread waits for
            return ticket

    def drop(self, ticket: int) -> None:
        """Stop renewing the lock of `ticket` (its holder then releases it)."""
        with self._wake:
            self._leases.pop(ticket, None)  # its heap entry is skipped when it comes up

    def held(self) -> int:
        """How many leases are being kept."""
        with self._wake:
            return len(self._leases)

    def _run(self) -> None:
        while True:
            with self._wake:
                due = self._take_due()
            for ticket, lock, lease in due:
                try:
                    lock.reacquire()
                except (LockError, RedisError):
                    # Lost (released meanwhile, or Redis restarted): the turn is idempotent.
                    self.drop(ticket)
                    continue
                except Exception:
                    # Never let one lock end the thread that keeps every other lease.
                    log.exception("lease renewal failed")
                    self.drop(ticket)
                    continue
                with self._wake:
                    if ticket in self._leases:
                        heapq.heappush(self._due, (time.monotonic() + lease / 3, ticket))

    def _take_due(self) -> list[tuple[int, Lock, float]]:
        """Wait (holding the condition) until some lease is due; those due, out of the heap."""
        while True:
            now = time.monotonic()
            while self._due and self._due[0][1] not in self._leases:
                heapq.heappop(self._due)  # dropped meanwhile
            if self._due and self._due[0][0] <= now:
                due = []
                while self._due and self._due[0][0] <= now:
                    _, ticket = heapq.heappop(self._due)
                    if ticket in self._leases:
                        due.append((ticket, *self._leases[ticket]))
                return due
            self._wake.wait(self._due[0][0] - now if self._due else None)


KEEPER = LeaseKeeper()


@contextmanager
def renewed(lock: Lock, lease_seconds: float) -> Iterator[None]:
    """Hold an acquired `lock`, renewing its lease every third of it, and release it at the end."""
    ticket = KEEPER.keep(lock, lease_seconds)
    try:
        yield
    finally:
        KEEPER.drop(ticket)
        # If the lease ran out someone else may hold the lock now: leave theirs alone.
        with suppress(LockError):
            lock.release()
