"""The archive's drainer: writes the outbox's operations to the SQL archive, and runs retention.

The worker adds a turn's operation to the archive outbox in the transaction that records the
turn, and never waits for the database. Drainer threads in the worker process apply the
operations in order per phone and pop each one only once it is committed: a database that is
slow or away only makes the backlog grow (GET /webhook/status, /metrics), and nothing is lost.
An operation the archive can never take is set aside (the outbox's dead list), not retried.

Under load many phones have an operation waiting at once, so a drainer's round takes the heads
of up to `batch_phones` due phones (one each, their leases and heads in one Redis round trip)
and writes them in ONE transaction. If that transaction fails, they are applied one by one, as
a single phone's are: a refused operation is set aside, a failing one waits, the rest are
written. A drainer killed before its pops only leaves heads that are applied again (the writes
are idempotent); one head per phone keeps that true of a batch, whatever the phone's turns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import suppress

import redis
from sqlalchemy.exc import SQLAlchemyError

from integrations.archive.erasure import RetentionPolicy
from integrations.archive.store import ArchiveStore
from integrations.archive.writes import OperationError
from integrations.messaging.phones import mask_phone
from integrations.redis.health import HealthBook
from integrations.redis.outbox import DrainBatch, Outbox, OutboxDrainer
from webhooks import metrics

log = logging.getLogger(__name__)
RETENTION_KEY = "iagente:archive:retention"
RETENTION_LOOK_SECONDS = 60  # how often a drainer asks Redis whether the job is due


class ArchiveDrainer(OutboxDrainer):
    """Applies the archive outbox, many phones per transaction, each phone's operations in order.

    Waits while the database is away.
    """

    away = (SQLAlchemyError,)
    batch_phones = 50  # phones (one operation each) a round writes in one transaction

    def __init__(
        self,
        store: ArchiveStore,
        outbox: Outbox,
        policy: RetentionPolicy,
        client: redis.Redis,
        *,
        health: HealthBook | None = None,
        poll_seconds: float = 0.25,
        max_backoff: float = 60.0,
        retention_every_seconds: int = 86_400,
    ) -> None:
        """A drainer of `archive`'s outbox.

        Args:
            store: the archive.
            outbox: the operations waiting, per phone.
            policy: what the retention job purges, and what a legal hold keeps.
            client: Redis, where the retention job notes that it ran (once a day for all).
            health: where the database's latest outcome is noted, if anywhere.
            poll_seconds: how long a drainer with nothing due waits before looking again.
            max_backoff: the longest wait while the database is unavailable.
            retention_every_seconds: how often the retention job runs, across processes.
        """
        self.store = store
        self.outbox = outbox
        self.policy = policy
        self.redis = client
        self.health = health
        self.poll_seconds = poll_seconds
        self.max_backoff = max_backoff
        self.retention_every = retention_every_seconds
        self._next_look = 0.0  # when this drainer next asks whether the retention job is due

    def _before_round(self) -> None:
        """The schema migrated, and the retention job run when its time has come."""
        self.store.ready()
        if time.monotonic() >= self._next_look:
            self.retain()
            self._next_look = time.monotonic() + RETENTION_LOOK_SECONDS

    def _batching(self) -> tuple[DrainBatch, int]:
        """A batch of phones per round (`run` is OutboxDrainer's)."""
        # Twice the batch, shuffled: two drainers looking at once mostly lease different
        # phones instead of one of them finding every phone taken.
        return self.drain_batch, 2 * self.batch_phones

    def drain_batch(self, phones: list[str], *, delay: float = 1.0) -> int | None:
        """Write the head of each of `phones` (up to `batch_phones`) that no one else holds.

        The caller made the store ready (`run` does, before each round).

        Returns:
            How many phones were leased and worked on, or None when the database is away
            (the heads not written wait `delay`).
        """
        taken = self.outbox.take(phones[: self.batch_phones])
        if not taken:
            return 0
        work = [(t.phone, t.op) for t in taken if t.op is not None]
        try:
            if len(work) > 1:
                try:
                    self.store.apply_all(work)
                except (OperationError, SQLAlchemyError) as exc:
                    if isinstance(exc, OperationError) or self._answers():
                        done, waiting, away = self._one_by_one(work, delay)
                    else:  # the database is away: no use trying each head
                        self._unavailable(exc)
                        done, waiting, away = set(), {phone for phone, _ in work}, True
                        for _, op in work:
                            metrics.ARCHIVE_OPS.labels(op.get("op", "?"), "retry").inc()
                else:
                    done, waiting, away = {phone for phone, _ in work}, set(), False
                    for _, op in work:
                        metrics.ARCHIVE_OPS.labels(op.get("op", "?"), "ok").inc()
            else:
                done, waiting, away = self._one_by_one(work, delay)
        except BaseException:
            with suppress(redis.RedisError):
                self.outbox.release(taken)
            raise
        for phone in self.outbox.settle(taken, done=done, waiting=waiting, delay=delay):
            log.warning("archive outbox lease ran out phone=%s", mask_phone(phone))
        if done and self.health:
            self.health.ok("archive")  # written at most once a second (HealthBook)
        return None if away else len(taken)

    def _one_by_one(
        self, work: Sequence[tuple[str, dict]], delay: float
    ) -> tuple[set[str], set[str], bool]:
        """Apply each head in its own transaction: phones done, phones waiting, database away.

        A refused head is set aside. A failing one waits `delay` alone when the database still
        answers (that head's own trouble); when it does not, every head not yet written waits.
        """
        done: set[str] = set()
        waiting: set[str] = set()
        for n, (phone, op) in enumerate(work):
            try:
                if not self._apply(phone, op):
                    continue
            except SQLAlchemyError as exc:
                waiting.add(phone)
                if not self._answers():
                    self._unavailable(exc)
                    waiting.update(later for later, _ in work[n + 1 :])
                    return done, waiting, True
                log.warning(
                    "archive failed an operation phone=%s (%s), it waits",
                    mask_phone(phone),
                    type(exc).__name__,
                )
                continue
            done.add(phone)
        return done, waiting, False

    def _apply(self, phone: str, op: dict) -> bool:
        """Write one operation in its own transaction; False when it was refused (set aside).

        A database error is counted as a retry and raised.
        """
        kind = op.get("op", "?")
        try:
            self.store.apply(phone, op)
        except OperationError as exc:
            log.error("archive refused an operation phone=%s: %s", mask_phone(phone), exc)
            metrics.ARCHIVE_OPS.labels(kind, "refused").inc()
            self.outbox.bury(phone, op, str(exc))
            return False
        except SQLAlchemyError:
            metrics.ARCHIVE_OPS.labels(kind, "retry").inc()
            raise
        metrics.ARCHIVE_OPS.labels(kind, "ok").inc()
        return True

    def _answers(self) -> bool:
        """Whether the database answers at all."""
        try:
            self.store.ping()
        except SQLAlchemyError:
            return False
        return True

    def drain_leased(self, phone: str, *, delay: float = 1.0) -> bool:
        """`drain` for a caller that holds the phone's lease (an erasure does)."""
        store, done = self.store, 0
        try:
            store.ready()
        except SQLAlchemyError as exc:
            self._unavailable(exc)
            self.outbox.retry_later(phone, delay)
            return False
        while (op := self.outbox.head(phone)) is not None:
            try:
                if not self._apply(phone, op):
                    continue
            except SQLAlchemyError as exc:
                self._unavailable(exc)
                self.outbox.retry_later(phone, delay)
                return False
            self.outbox.pop(phone)
            done += 1
            if done == 1 and self.outbox.finish(phone):
                break  # the usual case, one turn waiting: no look at an empty list first
        else:
            self.outbox.finish(phone)
        if done and self.health:
            self.health.ok("archive")  # written at most once a second (HealthBook)
        return True

    def retain(self) -> dict | None:
        """Run the retention job when it is due (once per period across processes)."""
        policy = self.policy
        before = policy.unconverted_before()
        if before is None or not self.redis.set(
            RETENTION_KEY, "1", nx=True, ex=self.retention_every
        ):
            return None
        try:
            counts = self.store.purge(
                before=before, hold=policy.hold, held_since=policy.held_since()
            )
        except SQLAlchemyError:
            self.redis.delete(RETENTION_KEY)  # not done: the next round tries again
            raise
        if counts:
            log.info("archive retention purged %s", counts)
        return counts

    def _unavailable(self, exc: Exception) -> None:
        why = type(exc).__name__
        if self.health and isinstance(exc, SQLAlchemyError):
            self.health.failed("archive", why)
        log.warning("archive unavailable (%s), its outbox waits", why)
