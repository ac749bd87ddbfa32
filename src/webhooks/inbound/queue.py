"""The durable inbound queue on Redis: a dedupe mark and an inbox per phone, a stream of work.

Why Redis Streams and not RQ: turns of one phone must run in arrival order and a burst must be
answered once, which are properties of the *phone*, not of a job. So each phone has an inbox
list (the messages, in order) and the stream only says "phone P has work". A worker drains a
phone's whole inbox under that phone's lock; consumer groups give us at-least-once delivery of
the notifications and XAUTOCLAIM hands a dead worker's notifications to a live one. Messages
leave the inbox only once their turn is done, so a worker killed mid-turn loses nothing.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

import redis
from redis.exceptions import LockNotOwnedError
from redis.lock import Lock

from integrations.redis.keys import conversation_key, queue_key
from webhooks.inbound.debounce import SCHEDULE_FUNCTION, Debounce
from webhooks.inbound.messages import InboundMessage, StatusUpdate

# Atomic "have we seen this provider id? if not, queue the message": both keys share the phone's
# hash tag, so this also runs on Redis Cluster.
_DEDUPE_AND_QUEUE = """
local new = 0
if redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2]) == 1 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  redis.call('RPUSH', KEYS[2], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  new = 1
end
"""
_ACCEPT = _DEDUPE_AND_QUEUE + "return new\n"
# On one node, all of accepting in one script: the above, the typing pause (KEYS[4], KEYS[5] and
# ARGV[6..9], when on) and the notification on the stream (KEYS[3]), atomically, in one round
# trip. A duplicate is notified too, as when these were three commands: a provider's retry then
# also sends a worker to a message still waiting in its inbox.
_ACCEPT_ALL = (
    SCHEDULE_FUNCTION
    + _DEDUPE_AND_QUEUE
    + """
if #KEYS == 5 then schedule(KEYS[4], KEYS[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]) end
redis.call('XADD', KEYS[3], '*', 'phone', ARGV[5])
return new
"""
)

# A worker's turn starts in one round trip: nothing waiting (0), the lock taken by someone else
# (1: the `missed` mark is left for the holder, atomically, so its letting go can't slip between
# the two), or the lock is ours (KEYS[2] = ARGV[1], a lease of ARGV[2] ms) and here is the inbox.
_TAKE = """
if redis.call('LLEN', KEYS[1]) == 0 then return 0 end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('SET', KEYS[3], 1, 'EX', ARGV[3])
  return 1
end
return redis.call('LRANGE', KEYS[1], 0, -1)
"""
# ...and ends in one: the lock released if still ours (bit 1), and bit 2 when a notification
# missed the lock meanwhile and messages still wait (the holder then notifies again).
_LET_GO = """
local released = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  released = 1
end
if redis.call('GET', KEYS[2]) then
  redis.call('DEL', KEYS[2])
  if redis.call('LLEN', KEYS[3]) > 0 then return released + 2 end
end
return released
"""
MISSED_SECONDS = 3600

GROUP = "workers"


class TurnLock(Lock):
    """A phone's turn lock taken by `MessageQueue.take`; letting it go also says `nudge`.

    The same key, token and lease as redis-py's `Lock` (so renewals, and `ConversationService`
    locking the phone elsewhere, work with it): only acquiring and releasing are our scripts.
    """

    def __init__(self, queue: MessageQueue, phone: str, name: str, lease_seconds: float) -> None:
        """The lock `name` of `phone`, not yet taken (thread_local off: a keeper renews it)."""
        super().__init__(queue.client, name, timeout=lease_seconds, thread_local=False)
        self.local.token = None
        self.keys = [queue.key(phone, "inbox"), name, queue.key(phone, "missed")]
        self.nudge = False  # after release: a notification missed the lock and messages wait

    def take(self) -> list[bytes] | None:
        """Take the lock if messages wait: their raw JSON, or None if nothing waits.

        Raises `PhoneBusyError` when someone else holds the lock (and marks the miss).
        """
        token = uuid.uuid4().hex.encode()
        lease_ms = int(self.timeout * 1000) if self.timeout else 0
        args = [token, lease_ms, MISSED_SECONDS]
        taken = _evaluate(self.redis, _TAKE, self.keys, args)
        if taken == 0:
            return None
        if taken == 1:
            raise PhoneBusyError(self.name)
        self.local.token = token
        return cast("list[bytes]", taken)

    def do_release(self, expected_token: str | bytes) -> None:
        """Release if still ours, and learn whether a missed notification must be repeated."""
        inbox, lock, missed = self.keys
        outcome = int(_evaluate(self.redis, _LET_GO, [lock, missed, inbox], [expected_token]))
        self.nudge = bool(outcome & 2)
        if not outcome & 1:
            raise LockNotOwnedError("the lease ran out and someone else took it", lock_name=lock)

    def let_go_in(self, pipe: redis.client.Pipeline) -> Callable[[object], None]:
        """Let the lock go in `pipe`, after the commands already in it; what takes its reply.

        The turn's own transaction ends with it, so letting go costs no round trip of its own.
        Once the reply is taken the lock is no longer ours: `release` has nothing left to do
        (it raises `LockError`, as for any lock not held). An error reply leaves the lock
        held, to be released as usual.
        """
        inbox, lock, missed = self.keys
        pipe.execute_command("EVAL", _LET_GO, 3, lock, missed, inbox, self.local.token)

        def took(outcome: object) -> None:
            if isinstance(outcome, Exception):
                return
            self.local.token = None
            self.nudge = bool(int(cast(int, outcome)) & 2)

        return took


class PhoneBusyError(Exception):
    """Another worker holds the phone's turn lock (the miss is marked for it)."""


def _evaluate(client: redis.Redis | redis.RedisCluster, script: str, keys: list, args: list):
    # EVAL, not EVALSHA through a Script object: nothing to reload after a Redis restart, and
    # a body of a few hundred bytes costs less than the Script's own bookkeeping.
    return client.execute_command("EVAL", script, len(keys), *keys, *args)


class MessageQueue:
    """Inbound work on Redis: webhooks accept messages into it, workers take them out."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "iagente",
        dedupe_seconds: int = 7 * 86400,
        debounce: Debounce | None = None,
    ) -> None:
        """Queue on `client`; a message id is kept `dedupe_seconds` to drop provider retries.

        With `debounce`, a phone's messages wait for its typing pause before their turn.
        """
        self._redis = client
        self.debounce = debounce
        self._prefix = prefix
        self._dedupe_seconds = dedupe_seconds
        # On Redis Cluster, accepting is three ordered commands, not one script.
        self._cluster = isinstance(client, redis.RedisCluster)
        self._accept_all = client.register_script(_ACCEPT_ALL)
        self.stream = queue_key(prefix)

    @property
    def client(self) -> redis.Redis:
        """The Redis client the queue works on."""
        return self._redis

    def key(self, phone: str, what: str) -> str:
        """The phone's queue record `what` ("inbox", "missed", "seen")."""
        return conversation_key(self._prefix, phone, what)

    # --- the webhook side: one script per message, nothing else -------------------------------

    def accept(self, message: InboundMessage) -> bool:
        """Queue `message` unless its provider id was seen before. True when it is new."""
        seen_id, now = f"{message.provider}:{message.message_id}", time.time()
        queued = replace(message, received_at=now).to_json()
        keys = [self.key(message.phone, "seen"), self.key(message.phone, "inbox")]
        args: list[str | float] = [now, seen_id, queued, self._dedupe_seconds]
        if self._cluster:
            return self._accept_on_cluster(message.phone, keys, args)
        keys.append(self.stream)
        args.append(message.phone)
        if self.debounce:  # due after the pause; this notification shows "typing…"
            pause_keys, pause_args = self.debounce.schedule_keys_args(message.phone)
            keys += pause_keys
            args += pause_args
        # EVALSHA as a plain command: through a Script object or a pipeline it cost a third more
        # of the webhook's CPU (bench/README.md, webhook_bench).
        sha = self._accept_all.sha
        try:
            new = self._redis.execute_command("EVALSHA", sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:  # Redis restarted or flushed its scripts
            new = self._redis.execute_command("EVAL", _ACCEPT_ALL, len(keys), *keys, *args)
        return bool(new)

    def _accept_on_cluster(self, phone: str, keys: list[str], args: list[str | float]) -> bool:
        # The inbox, the typing pause and the stream sit on different nodes, and a cluster
        # pipeline gives no order across nodes: a notification that overtook its message would
        # find the inbox empty and be acknowledged, leaving the message waiting for the next one.
        # So one command after the other (the script loads itself: EVAL).
        new = self._redis.eval(_ACCEPT, len(keys), *keys, *args)
        if self.debounce:
            pipe = self._redis.pipeline(transaction=False)
            self.debounce.schedule(pipe, phone)
            pipe.execute()
        self._redis.xadd(self.stream, {"phone": phone})
        return bool(new)

    def accept_status(self, status: StatusUpdate) -> None:
        """Queue a delivery status of a message we sent, for the worker to record."""
        payload = json.dumps(
            {
                "provider": status.provider,
                "message_id": status.message_id,
                "status": status.status,
                "phone": status.phone,
                "timestamp": status.timestamp,
                "errors": list(status.errors),
            }
        )
        self._redis.xadd(self.stream, {"status": payload})

    def accept_event(self, event_json: str) -> None:
        """A Chatwoot event for the worker (an agent's reply, a handover)."""
        self._redis.xadd(self.stream, {"chatwoot": event_json})

    # --- the worker side -----------------------------------------------------------------------

    def ensure_group(self) -> None:
        """Create the workers' consumer group (and the stream) unless it exists."""
        try:
            self._redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def read(self, consumer: str, *, count: int = 10, block_ms: int = 1000) -> list[tuple]:
        """New notifications for this consumer: [(entry_id, {field: value})].

        With a typing pause, the phones whose pause is over are notified first, and the read
        blocks no longer than until the next one is.
        """
        if self.debounce:
            block_ms = self._release_due(block_ms)
        answer = self._redis.xreadgroup(GROUP, consumer, {self.stream: ">"}, count, block_ms)
        # RESP2, as our clients speak: [[stream, [(entry_id, fields), ...]]] (RESP3 gives a dict).
        streams = cast("list[list[Any]]", answer or [])
        return [(eid, _decode(fields)) for _, entries in streams for eid, fields in entries]

    def _release_due(self, block_ms: int) -> int:
        """Notify the phones whose pause is over; how long the next read may block."""
        if not self.debounce:
            return block_ms
        phones, next_due = self.debounce.release()
        if phones:
            pipe = self._redis.pipeline(transaction=False)
            for phone in phones:
                pipe.xadd(self.stream, {"phone": phone, "due": "1"})
            self.debounce.released(pipe, phones)
            pipe.execute()
        return self.debounce.block_ms(block_ms, next_due)

    def pausing(self, fields: dict[str, str]) -> InboundMessage | None:
        """The newest message of a phone still in its typing pause, else None.

        A message's own notification comes before its pause is over: the phone gets another
        (`due`) when it is. Off without a pause, and for those `due` notifications.
        """
        if not self.debounce or "due" in fields or "phone" not in fields:
            return None
        pipe = self._redis.pipeline(transaction=False)
        self.debounce.waiting(pipe, fields["phone"])
        pipe.lindex(self.key(fields["phone"], "inbox"), -1)
        due, newest = pipe.execute()
        if not self.debounce.still_waiting(due) or newest is None:
            return None
        return InboundMessage.from_json(newest)

    def claim_stale(self, consumer: str, *, min_idle_ms: int, count: int = 10) -> list[tuple]:
        """Notifications a dead or stuck worker took and never acknowledged."""
        answer = self._redis.xautoclaim(self.stream, GROUP, consumer, min_idle_ms, "0-0", count)
        return [(eid, _decode(fields)) for eid, fields in answer[1] if fields]

    def ack(self, entry_id: bytes | str, pipe: redis.client.Pipeline | None = None) -> None:
        """Forget a notification whose work is done (with `pipe`: in it, run by the caller)."""
        own = pipe is None
        pipe = self._redis.pipeline(transaction=False) if pipe is None else pipe
        pipe.xack(self.stream, GROUP, entry_id)
        pipe.xdel(self.stream, entry_id)
        if own:
            pipe.execute()

    def take(self, phone: str, lock_name: str, lease_seconds: float) -> tuple[TurnLock, list]:
        """The phone's turn lock and its waiting messages, in one round trip.

        ([], lock not taken) when nothing waits. Raises `PhoneBusyError` when another worker
        holds the lock; the miss is marked, so the holder notifies again when it lets go
        (`TurnLock.nudge`, then `notify`).
        """
        lock = TurnLock(self, phone, lock_name, lease_seconds)
        raw = lock.take()
        return lock, [InboundMessage.from_json(m) for m in raw or ()]

    def notify(self, phone: str) -> None:
        """One more notification for `phone` (a missed one, repeated by the lock's holder)."""
        self._redis.xadd(self.stream, {"phone": phone})

    def inbox(self, phone: str) -> list[InboundMessage]:
        """Every message of `phone` not yet answered, oldest first."""
        return [
            InboundMessage.from_json(raw)
            for raw in self._redis.lrange(self.key(phone, "inbox"), 0, -1)
        ]

    def inbox_size(self, phone: str) -> int:
        """How many messages of `phone` wait for their turn."""
        return self._redis.llen(self.key(phone, "inbox"))

    def missed(self, phone: str) -> None:
        """A notification for `phone` found its lock taken: the holder must nudge when done."""
        self._redis.set(self.key(phone, "missed"), 1, ex=MISSED_SECONDS)

    def nudge(self, phone: str) -> None:
        """Notify again for `phone` if a notification missed its lock and messages still wait.

        Called after holding the lock; without a missed notification, the waiting messages'
        own notifications are still to come.
        """
        pipe = self._redis.pipeline(transaction=False)
        pipe.getdel(self.key(phone, "missed"))
        pipe.llen(self.key(phone, "inbox"))
        missed, waiting = pipe.execute()
        if missed and waiting:
            self._redis.xadd(self.stream, {"phone": phone})

    def done(self, phone: str, count: int, pipe: redis.client.Pipeline | None = None) -> None:
        """Drop the `count` oldest inbox messages: their turn is over."""
        (pipe or self._redis).ltrim(self.key(phone, "inbox"), count, -1)

    def depth(self) -> dict:
        """Notifications waiting (including those being worked on) and the oldest one's age."""
        length = self._redis.xlen(self.stream)
        oldest = self._redis.xrange(self.stream, count=1)
        age = 0.0
        if oldest:
            entry_id = oldest[0][0]
            assert isinstance(entry_id, bytes)  # our clients don't decode responses
            millis = int(entry_id.split(b"-")[0])
            age = max(0.0, time.time() - millis / 1000)
        return {"depth": length, "oldest_age_seconds": round(age, 1)}


def _decode(fields: dict) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in fields.items()}
