"""How a call to a provider is retried: only transient errors, capped by attempts and time."""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar

import stamina

from integrations.messaging.base import TransientSendError

T = TypeVar("T")


class Retryable(Protocol):
    """What a transient error tells the policy: whether it may have gone out, and when to retry."""

    maybe_sent: bool
    retry_after: float | None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How a send is retried in-process before its error goes back to the queue.

    Only `TransientSendError`s are retried, and never one with `maybe_sent` unless the call is
    idempotent (read receipts, downloads): a duplicated WhatsApp message is worse than a later
    retry by the queue. Capped by `attempts` and by `timeout` seconds in all, jittered
    exponential waits between; a provider's Retry-After replaces the wait when it fits in what
    is left of `timeout`, otherwise the error is raised at once with its `retry_after`.
    Tests of callers can pass `RetryPolicy(attempts=1)` or use `stamina.set_testing(True)`.
    """

    attempts: int = 3
    timeout: float = 15.0
    wait_initial: float = 0.5
    wait_max: float = 4.0
    wait_jitter: float = 0.5

    def call(
        self,
        fn: Callable[[], T],
        *,
        idempotent: bool = False,
        transient: type[Retryable] | None = None,
    ) -> T:
        """Call `fn`, retrying the `transient` errors (with `maybe_sent` and `retry_after`).

        Almost every call succeeds at once, and stamina sets up its retrying (tenacity's)
        on every call, ~35 µs of CPU: a tenth of a provider POST. So the first attempt runs
        here, and stamina takes over only when it would retry, from that first failure
        (which it sees as its first attempt: same attempts, waits, time limit and hooks).
        """
        deadline = time.monotonic() + self.timeout
        transient = transient or TransientSendError

        def retry_on(exc: Exception) -> bool | float:
            if not isinstance(exc, transient) or (exc.maybe_sent and not idempotent):
                return False
            if exc.retry_after is None:
                return True
            if time.monotonic() + exc.retry_after > deadline:
                return False
            return exc.retry_after

        first: Exception | None = None
        try:
            return fn()
        except Exception as exc:
            left = deadline - time.monotonic()
            if left <= 0 or not retry_on(exc):
                raise
            first = exc

        def again() -> T:
            nonlocal first
            if first is not None:
                failed, first = first, None
                raise failed
            return fn()

        caller = stamina.RetryingCaller(
            attempts=self.attempts,
            timeout=left,
            wait_initial=self.wait_initial,
            wait_max=self.wait_max,
            wait_jitter=self.wait_jitter,
        )
        return caller(retry_on, again)
