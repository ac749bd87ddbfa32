"""A per-phone lock whose lease is renewed while its holder lives.

The lease is short so that a worker killed mid-turn (kill -9) frees the phone within seconds;
a daemon thread keeps renewing it for as long as a slow turn (an LLM call) runs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from redis.exceptions import LockError, RedisError
from redis.lock import Lock


@contextmanager
def renewed(lock: Lock, lease_seconds: float) -> Iterator[None]:
    """Hold an acquired `lock`, renewing its lease every third of it, and release it at the end."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease_seconds / 3):
            try:
                lock.reacquire()
            except (
                LockError,
                RedisError,
            ):  # lost it (e.g. Redis restarted): the turn is idempotent anyway
                return

    keeper = threading.Thread(target=renew, name="lock-renewal", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join()
        # If the lease ran out someone else may hold the lock now: leave theirs alone.
        with suppress(LockError):
            lock.release()
