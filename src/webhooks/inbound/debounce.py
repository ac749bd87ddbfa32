"""The typing pause: a phone's messages that arrive close together are answered as one turn.

A customer who types "Hola" / "quiero un seguro" / "para mi familia" as three messages should get
one reply. So a phone with new messages becomes *due* `seconds` after its latest message, but
never later than `max_seconds` after the first one of the burst; the due times are kept in Redis
(sorted sets under one hash tag, so each script stays on one Redis Cluster slot):

    {prefix}:{debounce}:due      phone -> when its waiting messages are due
    {prefix}:{debounce}:first    phone -> when the first of them arrived (for the cap)
    {prefix}:{debounce}:firing   phone -> lease of the worker turning it into a notification

Nothing about the messages themselves changes: they are in the phone's inbox, deduplicated, in
order, as before; only *when* a worker drains that inbox changes. A worker polling the queue moves
due phones to `firing` (a lease), adds a `due` notification to the stream, and drops the lease;
from there the consumer group gives the usual at-least-once delivery and claims from dead
workers. A worker killed between the lease and the notification leaves the lease to expire, and
the phone is released again. An extra notification is harmless: an empty inbox is no turn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

import redis

from integrations.redis.keys import debounce_key

# The phone's latest message pushes its due time forward, never past the burst's first message
# + the cap. ZADD GT also adds a phone that has no due time yet. A Lua function, so that the
# queue's accept script (one round trip on one node) runs the very same code.
SCHEDULE_FUNCTION = """
local function schedule(due_key, first_key, phone, now_arg, seconds, max_seconds)
  local now = tonumber(now_arg)
  local first = tonumber(redis.call('ZSCORE', first_key, phone))
  if not first then
    first = now
    redis.call('ZADD', first_key, now_arg, phone)
  end
  local due = math.min(now + tonumber(seconds), first + tonumber(max_seconds))
  redis.call('ZADD', due_key, 'GT', string.format('%.6f', due), phone)
  return string.format('%.6f', due)
end
"""
_SCHEDULE = SCHEDULE_FUNCTION + "return schedule(KEYS[1], KEYS[2], unpack(ARGV))\n"

# Due phones (and phones whose releaser died: their lease expired) are leased to the caller;
# the reply is those phones, then the earliest due time still waiting (or an empty string).
_RELEASE = """
local out = {}
local lease = ARGV[2]
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, phone in ipairs(expired) do
  redis.call('ZADD', KEYS[3], lease, phone)
  table.insert(out, phone)
end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, phone in ipairs(due) do
  redis.call('ZREM', KEYS[1], phone)
  redis.call('ZREM', KEYS[2], phone)
  redis.call('ZADD', KEYS[3], lease, phone)
  table.insert(out, phone)
end
local next_due = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
table.insert(out, next_due[2] or '')
return out
"""


class Debounce:
    """When each phone's waiting messages are due for their turn."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        seconds: float,
        max_seconds: float,
        prefix: str = "iagente",
        lease_seconds: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """A pause of `seconds` after a phone's latest message, at most `max_seconds` in all.

        Args:
            client: the Redis the queue is on.
            seconds: how long to wait for another message (above 0).
            max_seconds: the longest wait after a burst's first message (never below `seconds`).
            prefix: the service's key prefix.
            lease_seconds: how long a worker may take from releasing a due phone to notifying it
                before another worker releases it again.
            clock: Unix time now (tests pass a clock they move).
        """
        self._redis = client
        self.seconds = seconds
        self.max_seconds = max(max_seconds, seconds)
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.keys = [debounce_key(prefix, what) for what in ("due", "first", "firing")]

    @classmethod
    def from_settings(cls, settings: Any, client: redis.Redis) -> Debounce | None:
        """The pause DEBOUNCE_SECONDS and DEBOUNCE_MAX_SECONDS set, or None when it is off."""
        if not settings.debounce_seconds:
            return None
        return cls(
            client,
            seconds=settings.debounce_seconds,
            max_seconds=settings.debounce_max_seconds,
            lease_seconds=settings.claim_idle_seconds,
        )

    # --- the webhook side ----------------------------------------------------------------------

    def schedule(self, pipe: redis.client.Pipeline, phone: str) -> None:
        """Queue, in `pipe`, the command that makes `phone` due after this pause."""
        # EVAL, not EVALSHA: a pipeline can't load a script Redis lost between two commands
        # (and a cluster pipeline has no eval(): the command is routed by its keys' slot).
        keys, args = self.schedule_keys_args(phone)
        pipe.execute_command("EVAL", _SCHEDULE, 2, *keys, *args)

    def schedule_keys_args(self, phone: str) -> tuple[list[str], list[str | float]]:
        """The keys (due, first) and the other arguments of `schedule` in SCHEDULE_FUNCTION."""
        return self.keys[:2], [phone, self.clock(), self.seconds, self.max_seconds]

    # --- the worker side -----------------------------------------------------------------------

    def release(self, count: int = 10) -> tuple[list[str], float | None]:
        """Lease the phones whose pause is over: (phones, earliest due time still waiting).

        The caller notifies each phone, then calls `released` (or dies, and the lease expires).
        """
        now = self.clock()
        lease = f"{now + self.lease_seconds:.6f}"
        answer = cast(
            "list[bytes]",
            self._redis.eval(_RELEASE, 3, *self.keys, f"{now:.6f}", lease, count),
        )
        *phones, next_due = answer
        return [p.decode() for p in phones], float(next_due) if next_due else None

    def released(self, pipe: redis.client.Pipeline, phones: list[str]) -> None:
        """Drop the leases of `phones`, in `pipe`, after their notifications."""
        if phones:
            pipe.zrem(self.keys[2], *phones)

    def waiting(self, pipe: redis.client.Pipeline, phone: str) -> None:
        """Queue, in `pipe`, the read of `phone`'s due time (see `still_waiting`)."""
        pipe.zscore(self.keys[0], phone)

    def still_waiting(self, due: float | None) -> bool:
        """Whether a due time read by `waiting` is still to come."""
        return due is not None and due > self.clock()

    def block_ms(self, block_ms: int, next_due: float | None) -> int:
        """How long a read may block: never past the next due time, nor past one pause.

        A phone that starts waiting during the block is due at least one pause later.
        """
        limit = self.seconds if next_due is None else next_due - self.clock()
        return max(1, min(block_ms, int(limit * 1000)))
