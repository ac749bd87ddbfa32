"""A durable outbox on Redis: work for an outside service, in order per conversation, retried.

Each phone has a list of pending operations beside its other records (same hash tag, so a turn
adds them in the MULTI that records the turn). A sorted set says which phones have work and when
to try next. One drainer at a time works on a phone (a lease), head first, and pops an operation
only once it succeeded, so a crash or an outage of the service loses nothing and keeps the order.

Scheduling: the writer pushes, *then* marks the phone due; the drainer unmarks a phone it emptied,
*then* looks once more. Whatever the interleaving, a phone with work stays marked. A writer that
dies between its MULTI and the mark leaves work unmarked: `rescan` finds it when a drainer starts.

A drainer may also work on many phones at once (`take`, then `settle`): their leases and heads in
one round trip; after the far side took the heads, one more unmarks them, and one pops the heads,
gives the leases back and looks (a third marks again those with work left), for the whole batch.
Each phone's commands stay on its own slot (Redis Cluster): the scripts (one command per phone)
touch a phone's list and lease only, and the shared sorted set is written by commands of its own.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import Protocol, Unpack, cast

import redis
from redis.exceptions import LockError

from integrations.redis.keys import outbox_dead_key, outbox_due_key, outbox_pattern, phone_in
from integrations.redis.phone_store import PhoneStore, StoreOptions
from integrations.redis.phone_store import compact_json as _json

log = logging.getLogger(__name__)

# How many due phones one look of a drainer takes at the most, phone by phone.
DUE_LIMIT = 20

# KEYS: a phone's list, its lease; ARGV: the lease's token (and its milliseconds). The lease
# taken as `lease` takes it (SET NX PX), and the head read: {1, head or nil}, or 0 when the
# lease is someone else's.
_TAKE = """
if redis.call('set', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('lindex', KEYS[1], 0)}
end
return 0
"""
# The same keys and token, and 1 to pop the head: pops it (when asked) and releases the lease only
# for the lease's holder (a drainer whose lease ran out must not pop what another drainer now
# works on); {1 if popped, the list's length}.
_SETTLE = """
local popped = 0
if redis.call('get', KEYS[2]) == ARGV[1] then
  if ARGV[2] == '1' then
    redis.call('lpop', KEYS[1])
    popped = 1
  end
  redis.call('del', KEYS[2])
end
return {popped, redis.call('llen', KEYS[1])}
"""
# The same keys: releases the lease if it is still this drainer's; the list's length.
_RELEASE_AND_COUNT = """
if redis.call('get', KEYS[2]) == ARGV[1] then
  redis.call('del', KEYS[2])
end
return redis.call('llen', KEYS[1])
"""


@dataclass(frozen=True)
class Taken:
    """A phone a drainer leased for a batch (`Outbox.take`): the lease's token, the head."""

    phone: str
    token: str
    op: dict | None


class Outbox(PhoneStore):
    """Operations for one outside service (`name`), queued per phone and drained in order."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        name: str = "chatwoot",
        lease_seconds: float = 60,
        dead_kept: int = 500,
        **store: Unpack[StoreOptions],
    ) -> None:
        """Queue operations for the service `name`; a drainer's lease lasts `lease_seconds`."""
        super().__init__(client, **store)
        self._name = self.name = name
        self._lease = lease_seconds
        self._dead_kept = dead_kept
        self.due_key = outbox_due_key(self._prefix, name)
        self.dead_key = outbox_dead_key(self._prefix, name)

    def key(self, phone: str) -> str:
        """The list of the phone's pending operations."""
        return self._phone_key(phone, f"outbox:{self._name}")

    # --- the writer's side ---------------------------------------------------------------------

    def push(self, pipe: redis.client.Pipeline, phone: str, ops: Iterable[dict]) -> int:
        """Add `ops` to the phone's list inside the caller's transaction; `schedule` after it."""
        now = time.time()
        encoded = [_json({**op, "queued_at": op.get("queued_at", now)}) for op in ops]
        if encoded:
            pipe.rpush(self.key(phone), *encoded)
            self._expire(pipe, self.key(phone))
        return len(encoded)

    def schedule(self, phone: str, at: float | None = None) -> None:
        """Mark the phone due at `at` (now by default): a drainer will try it then."""
        self._redis.zadd(self.due_key, {phone: at or time.time()})

    def add(self, phone: str, ops: Iterable[dict]) -> None:
        """Push and schedule, for writers without a transaction of their own."""
        pipe = self._redis.pipeline(transaction=True)
        if self.push(pipe, phone, ops):
            pipe.execute()
            self.schedule(phone)

    # --- the drainer's side --------------------------------------------------------------------

    def due(self, limit: int = DUE_LIMIT) -> list[str]:
        """Phones whose next attempt is due, most overdue first."""
        raw = cast(
            list[bytes],
            self._redis.zrangebyscore(self.due_key, "-inf", time.time(), start=0, num=limit),
        )
        return [phone.decode() for phone in raw]

    def lease(self, phone: str):
        """The phone's drain lease, acquired, or None when another drainer has it."""
        lock = self._redis.lock(self._lease_key(phone), timeout=self._lease, thread_local=False)
        return lock if lock.acquire(blocking=False) else None

    def _lease_key(self, phone: str) -> str:
        return f"{self.key(phone)}:lease"

    def head(self, phone: str) -> dict | None:
        """The phone's oldest pending operation, if any."""
        raw = self._redis.lindex(self.key(phone), 0)
        return json.loads(raw) if raw is not None else None

    def pop(self, phone: str) -> None:
        """The head succeeded (only the lease holder pops)."""
        self._redis.lpop(self.key(phone))

    def retry_later(self, phone: str, delay: float) -> None:
        """The head failed transiently: try the phone again in `delay` seconds."""
        self._redis.zadd(self.due_key, {phone: time.time() + delay})

    def finish(self, phone: str) -> bool:
        """Unmark a phone found empty; True if it really is (else it stays marked)."""
        self._redis.zrem(self.due_key, phone)
        if self._redis.llen(self.key(phone)):
            self.schedule(phone)
            return False
        return True

    def bury(self, phone: str, op: dict, error: str) -> None:
        """Set aside an operation the service refuses for good, so it can't block the rest."""
        entry = _json({"phone": phone, "op": op, "error": error, "at": time.time()})
        pipe = self._redis.pipeline(transaction=False)
        pipe.lpush(self.dead_key, entry)
        pipe.ltrim(self.dead_key, 0, self._dead_kept - 1)
        pipe.lpop(self.key(phone))
        pipe.execute()

    # --- a drainer's batch of phones ---------------------------------------------------------

    def take(self, phones: Iterable[str]) -> list[Taken]:
        """Lease `phones` and read each one's head, in one round trip.

        The lease is the one `lease` takes (same key, SET NX PX, a token of its own), so a
        phone another drainer or an erasure holds is left out; a script on the phone's slot
        reads the head where the lease was won.
        """
        asked = [Taken(phone, uuid.uuid4().hex, None) for phone in phones]
        pipe = self._redis.pipeline(transaction=False)
        for t in asked:
            self._script(pipe, _TAKE, t, int(self._lease * 1000))
        return [
            Taken(t.phone, t.token, json.loads(won[1]) if won[1] is not None else None)
            for t, won in zip(asked, pipe.execute(), strict=True)
            if won
        ]

    def settle(
        self,
        taken: Collection[Taken],
        *,
        done: Collection[str],
        waiting: Collection[str] = (),
        delay: float = 1.0,
    ) -> list[str]:
        """After a batch: unmark, pop the heads of `done`, release every lease, look again.

        `done` are the phones whose head the far side took, `waiting` those whose head must be
        tried again in `delay` seconds; the rest (an empty list, a head set aside by `bury`)
        are only unmarked. As in `finish`, a phone is unmarked *then* looked at (by the script
        that pops its head and gives its lease back, one round trip for the whole batch): one
        with work left, its next operation or a writer's new one, is marked due again.

        Returns:
            The phones whose lease had run out before their head could be popped: another
            drainer has them and applies that head again (the archive's writes are idempotent).
        """
        waiting = set(waiting)
        unmark = [t.phone for t in taken if t.phone not in waiting]
        pipe = self._redis.pipeline(transaction=False)
        if unmark:
            pipe.zrem(self.due_key, *unmark)
        if waiting:
            pipe.zadd(self.due_key, dict.fromkeys(waiting, time.time() + delay))
        # Its own round trip: on a Redis Cluster the sorted set may be on another node than a
        # phone's list, and the unmarking must come before the look.
        pipe.execute()
        pipe = self._redis.pipeline(transaction=False)
        for t in taken:
            self._script(pipe, _SETTLE, t, 1 if t.phone in done else 0)
        lost, again = [], []
        for t, (popped, left) in zip(taken, pipe.execute(), strict=True):
            if t.phone in done and not popped:
                lost.append(t.phone)
            if left and t.phone not in waiting:
                again.append(t.phone)
        if again:
            self._redis.zadd(self.due_key, dict.fromkeys(again, time.time()))
        return lost

    def release(self, taken: Iterable[Taken]) -> None:
        """Give back the leases of a batch that failed before `settle` (the phones stay due)."""
        pipe = self._redis.pipeline(transaction=False)
        for t in taken:
            self._script(pipe, _RELEASE_AND_COUNT, t)
        pipe.execute()

    def _script(
        self, pipe: redis.client.Pipeline, script: str, taken: Taken, *args: int | str
    ) -> None:
        """Queue `script` on the phone's list and lease with the lease's token (and `args`).

        A plain EVAL: redis-py's cluster pipeline has no `eval` or `evalsha` of its own, but
        routes an EVAL by its keys (one slot: the phone's).
        """
        keys = (self.key(taken.phone), self._lease_key(taken.phone))
        pipe.execute_command("EVAL", script, 2, *keys, taken.token, *args)

    def rescan(self) -> int:
        """Mark every phone that has work: finds work whose writer died before scheduling it."""
        found = 0
        for key in self._redis.scan_iter(match=outbox_pattern(self._prefix, self._name), count=500):
            phone = phone_in(key)
            self._redis.zadd(self.due_key, {phone: time.time()}, nx=True)
            found += 1
        return found

    # --- what the status endpoint shows --------------------------------------------------------

    def backlog(self, sample: int = 1000) -> dict:
        """Pending operations, the conversations they belong to, and the oldest one's age.

        Counted over the `sample` most overdue conversations (`partial` when there are more).
        """
        conversations = self._redis.zcard(self.due_key)
        phones = cast(list[bytes], self._redis.zrange(self.due_key, 0, sample - 1))
        pipe = self._redis.pipeline(transaction=False)
        for phone in phones:
            key = self.key(phone.decode())
            pipe.llen(key)
            pipe.lindex(key, 0)
        answers = pipe.execute()
        pending, oldest = 0, None
        for length, head in zip(answers[::2], answers[1::2], strict=True):
            pending += length
            if head is not None:
                queued = json.loads(head).get("queued_at", time.time())
                oldest = queued if oldest is None else min(oldest, queued)
        return {
            "pending": pending,
            "conversations": conversations,
            "oldest_age_seconds": round(max(0.0, time.time() - oldest), 1) if oldest else 0.0,
            "dead": self._redis.llen(self.dead_key),
            **({"partial": True} if conversations > sample else {}),
        }


class OutboxDrainer(ABC):
    """A drainer of one outbox: `run` works it, `drain` takes a phone's lease for `drain_leased`.

    A subclass applies a phone's operations in `drain_leased`; `away` are its far side's errors
    that mean "try again later", `_before_round` what it does before each look at the due phones.
    """

    outbox: Outbox
    poll_seconds: float = 0.25
    max_backoff: float = 60.0
    away: tuple[type[Exception], ...] = ()

    def run(self, stop: threading.Event) -> None:
        """Drain until `stop`; back off while the far side (or Redis) is unavailable."""
        batch, limit = self._batching()
        drain_forever(
            self.outbox,
            self.drain,
            stop,
            poll_seconds=self.poll_seconds,
            max_backoff=self.max_backoff,
            unavailable=self._unavailable,
            away=self.away,
            before_round=self._before_round,
            batch=batch,
            limit=limit,
        )

    def drain(self, phone: str, *, delay: float = 1.0) -> bool | None:
        """Apply the phone's operations in order, under its lease.

        Returns:
            True when the outbox was worked through, False when the far side could not take
            them (they wait `delay`), None when another drainer has the phone.
        """
        lease = self.outbox.lease(phone)
        if lease is None:
            return None
        try:
            return self.drain_leased(phone, delay=delay)
        finally:
            with suppress(LockError, redis.RedisError):
                lease.release()

    @abstractmethod
    def drain_leased(self, phone: str, *, delay: float = 1.0) -> bool:
        """`drain` for a caller that holds the phone's lease."""

    def _unavailable(self, exc: Exception) -> None:
        log.warning("outbox unreachable (%s)", type(exc).__name__)

    def _before_round(self) -> None:  # noqa: B027 - an optional hook, not abstract
        """Nothing by default."""

    def _batching(self) -> tuple[DrainBatch | None, int]:
        """A batch drain for each look's due phones (None: phone by phone), and their most."""
        return None, DUE_LIMIT


class Drain(Protocol):
    """A drainer's `drain`: one phone's operations, `delay` the wait if the far side is away."""

    def __call__(self, phone: str, *, delay: float) -> bool | None:
        """True: worked through; False: the far side could not take it; None: not ours now."""
        ...


class DrainBatch(Protocol):
    """A drainer that works on several due phones at once (see `Outbox.take`)."""

    def __call__(self, phones: list[str], *, delay: float) -> int | None:
        """How many phones it worked on; None: the far side could not take them (they wait)."""
        ...


def drain_forever(
    outbox: Outbox,
    drain: Drain,
    stop: threading.Event,
    *,
    poll_seconds: float,
    max_backoff: float,
    unavailable: Callable[[Exception], None],
    away: tuple[type[Exception], ...] = (),
    before_round: Callable[[], None] | None = None,
    batch: DrainBatch | None = None,
    limit: int = DUE_LIMIT,
) -> None:
    """Work `outbox` until `stop`: its due phones, each drained by `drain(phone, delay=...)`.

    `drain` answers True (worked through), False (the far side could not take it: wait and back
    off, doubling up to `max_backoff`) or None (another drainer has the phone). Several drainers
    start at random places. `before_round` runs before each look at the due phones; an error of
    Redis or of `away` there, or of Redis in `drain`, goes to `unavailable` and backs off too.
    With `batch`, each look's due phones (up to `limit`) go to it all at once instead.
    """
    backoff = 1.0
    errors: tuple[type[Exception], ...] = (redis.RedisError, *away)
    with suppress(redis.RedisError):
        if found := outbox.rescan():
            log.info("%s outbox has work for %d conversations", outbox.name, found)
    while not stop.is_set():
        try:
            if before_round:
                before_round()
            phones = outbox.due(limit)
        except errors as exc:
            unavailable(exc)
            stop.wait(backoff)
            backoff = min(backoff * 2, max_backoff)
            continue
        random.shuffle(phones)  # several drainers: each starts somewhere else
        if batch is None:
            drained = _drain_each(phones, drain, stop, delay=backoff, unavailable=unavailable)
        else:
            try:
                drained = batch(phones, delay=backoff) if phones else 0
            except redis.RedisError as exc:
                unavailable(exc)
                drained = None
        if drained is None:
            stop.wait(backoff)
            backoff = min(backoff * 2, max_backoff)
            continue
        backoff = 1.0
        if not drained and not stop.is_set():  # nothing due, or all of it in other drainers' hands
            stop.wait(poll_seconds)


def _drain_each(
    phones: list[str],
    drain: Drain,
    stop: threading.Event,
    *,
    delay: float,
    unavailable: Callable[[Exception], None],
) -> int | None:
    """`drain` each phone in turn: how many were worked through, None at the first that failed."""
    drained = 0
    for phone in phones:
        if stop.is_set():
            break
        try:
            outcome = drain(phone, delay=delay)
        except redis.RedisError as exc:
            unavailable(exc)
            outcome = False
        if outcome is False:
            return None
        drained += outcome is True
    return drained
