"""Per-conversation records in Redis beside the checkpoints: transcript, summary, statuses.

Keys share the phone's hash tag with its checkpoints, so a conversation lives in one cluster slot
and one turn's records are written in one MULTI.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Unpack, cast

import redis

from integrations.redis.keys import ConversationKeys
from integrations.redis.keys import index_key as conversations_index
from integrations.redis.phone_store import PhoneStore, StoreOptions
from integrations.redis.phone_store import compact_json as _json


def now_iso() -> str:
    """The current UTC time to the millisecond: the stamp of transcript entries and statuses."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ConversationStore(PhoneStore):
    """A conversation's transcript, summary and delivery statuses, and the index of them all."""

    def __init__(
        self, client: redis.Redis, *, max_messages: int = 200, **store: Unpack[StoreOptions]
    ) -> None:
        """Keep `max_messages` transcript entries per phone."""
        super().__init__(client, **store)
        self._max = max_messages
        self._cluster = isinstance(client, redis.RedisCluster)

    def key(self, phone: str, what: str) -> str:
        """The phone's record `what` ("transcript", "summary", …)."""
        return self._phone_key(phone, what)

    def keys(self, phone: str) -> ConversationKeys:
        """Every key of the phone's conversation, of whichever store."""
        return ConversationKeys(self._prefix, phone)

    @property
    def index_key(self) -> str:
        """The sorted set of every phone with a conversation, by latest activity."""
        return conversations_index(self._prefix)

    def ping(self) -> None:
        """Reach Redis (raises when it is down): the readiness check."""
        self._redis.ping()

    def lock(self, phone: str, *, timeout: float):
        """The lock that serialises the turns of one phone, across threads and processes."""
        # Not thread-local: the lease is renewed from a helper thread (integrations.redis.locks).
        return self._redis.lock(self.key(phone, "lock"), timeout=timeout, thread_local=False)

    def record_exchange(
        self,
        phone: str,
        inbound: list[dict],
        outbound: dict | None,
        *,
        summary: dict,
        also: Callable[[redis.client.Pipeline], None] | None = None,
        then: Callable[[redis.client.Pipeline], None] | None = None,
    ) -> list:
        """Append a turn (customer messages, then the reply) and update the summary, atomically.

        `also` adds the caller's own commands to the same transaction (the worker marks the
        reply as sent and drops the answered messages from the inbox there). `then` adds
        best-effort commands on keys of other slots; their replies are returned, errors
        included, never raised. With them goes the conversations index: on one Redis node all
        of it is the turn's transaction, one round trip; on a cluster a MULTI must stay in the
        phone's slot, so they follow it in a second round trip (not atomic with the turn).
        """
        at = now_iso()
        entries = [{"direction": "in", "at": at, **m} for m in inbound]
        if outbound:
            entries.append({"direction": "out", "at": at, **outbound})
        fields = {**summary, "last_message_at": at}
        if inbound:
            fields["last_inbound_at"] = at
        transcript, summary_key = self.key(phone, "transcript"), self.key(phone, "summary")
        pipe = self._redis.pipeline(transaction=True)
        if entries:
            pipe.rpush(transcript, *(_json(e) for e in entries))
            pipe.ltrim(transcript, -self._max, -1)
        pipe.hset(summary_key, mapping={k: _json(v) for k, v in fields.items()})
        self._expire(pipe, transcript, summary_key)
        if also:
            also(pipe)
        shared = pipe
        if self._cluster:
            pipe.execute()
            shared = self._redis.pipeline(transaction=False)
        now = time.time()
        shared.zadd(self.index_key, {phone: now})
        if self._ttl:
            shared.zremrangebyscore(self.index_key, "-inf", now - self._ttl)  # expired meanwhile
        own = len(shared)
        if then:
            then(shared)
        replies = shared.execute(raise_on_error=False)
        for reply in replies[:own]:
            if isinstance(reply, Exception):
                raise reply
        return replies[own:]

    # --- the index, for the admin API: newest activity first -----------------------------------

    def _oldest_kept(self) -> float | str:
        return time.time() - self._ttl if self._ttl else "-inf"

    def count(self, since: float | None = None) -> int:
        """Conversations still kept, or those with activity since `since` (Unix seconds)."""
        return self._redis.zcount(self.index_key, since or self._oldest_kept(), "+inf")

    def recent(self, offset: int, count: int) -> list[str]:
        """Phones of the kept conversations, newest activity first."""
        phones = cast(
            list[bytes],
            self._redis.zrevrangebyscore(
                self.index_key, "+inf", self._oldest_kept(), start=offset, num=count
            ),
        )
        return [phone.decode() for phone in phones]

    def summaries(self, phones: Iterable[str]) -> list[dict]:
        """The summaries of `phones`, in their order, in one round trip."""
        pipe = self._redis.pipeline(transaction=False)
        for phone in phones:
            pipe.hgetall(self.key(phone, "summary"))
        return [{k.decode(): json.loads(v) for k, v in raw.items()} for raw in pipe.execute()]

    def transcript(self, phone: str, limit: int | None = None) -> list[dict]:
        """The phone's transcript, oldest first; only the newest `limit` entries when given."""
        start = -limit if limit else 0
        raw = self._redis.lrange(self.key(phone, "transcript"), start, -1)
        return [json.loads(entry) for entry in raw]

    def summary(self, phone: str) -> dict:
        """The phone's summary: stage, profile highlights, last activity ({} when none)."""
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self.key(phone, "summary")))
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    def last_inbound_at(self, phone: str) -> datetime | None:
        """When the customer last wrote: opens the 24-hour window for free-form replies."""
        raw = self._redis.hget(self.key(phone, "summary"), "last_inbound_at")
        return datetime.fromisoformat(json.loads(raw)) if raw else None

    def record_status(self, phone: str, message_id: str, status: dict) -> None:
        """Keep the provider's latest delivery status of one of our messages."""
        key = self.key(phone, "statuses")
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(key, message_id, _json(status))
        self._expire(pipe, key)
        pipe.execute()

    def statuses(self, phone: str) -> dict[str, dict]:
        """The latest delivery status of each of our messages to the phone, by message id."""
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self.key(phone, "statuses")))
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    def forget(self, phone: str) -> None:
        """Reset: delete every key of the phone's conversation and unlist it from shared indexes.

        The keys are `ConversationKeys.reset`: the records of every store, and its checkpoints.
        """
        keys = self.keys(phone)
        # One DEL: every key of a reset carries the phone's hash tag, so it is one cluster slot.
        self._redis.delete(*keys.reset)
        pipe = self._redis.pipeline(transaction=False)
        for shared, member in keys.members:
            pipe.zrem(shared, member)
        pipe.execute()
