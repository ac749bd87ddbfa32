"""Per-conversation records in Redis beside the checkpoints: the capped transcript and a summary.

Keys share the phone's hash tag with its checkpoints, so a conversation lives in one cluster slot.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import redis


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ConversationStore:
    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "iagente",
        max_messages: int = 200,
        ttl_seconds: int | None = None,
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._max = max_messages
        self._ttl = ttl_seconds

    def _key(self, phone: str, what: str) -> str:
        return f"{self._prefix}:conv:{{{phone}}}:{what}"

    @property
    def index_key(self) -> str:
        return f"{self._prefix}:conversations"

    def ping(self) -> None:
        self._redis.ping()

    def lock(self, phone: str, *, timeout: int, blocking_timeout: float | None = None):
        """The lock that serialises the turns of one phone, across threads and processes."""
        return self._redis.lock(
            self._key(phone, "lock"), timeout=timeout, blocking_timeout=blocking_timeout
        )

    def append(self, phone: str, direction: str, text: str, **extra: object) -> dict:
        entry = {"direction": direction, "text": text, "at": _now(), **extra}
        key = self._key(phone, "transcript")
        pipe = self._redis.pipeline(transaction=True)
        pipe.rpush(key, json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
        pipe.ltrim(key, -self._max, -1)
        if self._ttl:
            pipe.expire(key, self._ttl)
        pipe.execute()
        return entry

    def transcript(self, phone: str, limit: int | None = None) -> list[dict]:
        start = -limit if limit else 0
        return [
            json.loads(raw) for raw in self._redis.lrange(self._key(phone, "transcript"), start, -1)
        ]

    def record_turn(self, phone: str, **summary: object) -> None:
        """Remember the conversation's latest stage, channel and flags for the admin listing."""
        key = self._key(phone, "summary")
        fields = {k: json.dumps(v) for k, v in summary.items()}
        fields["last_message_at"] = json.dumps(_now())
        pipe = self._redis.pipeline(transaction=False)
        pipe.hset(key, mapping=fields)
        if self._ttl:
            pipe.expire(key, self._ttl)
        pipe.zadd(self.index_key, {phone: datetime.now(UTC).timestamp()})
        pipe.execute()

    def summary(self, phone: str) -> dict:
        raw = self._redis.hgetall(self._key(phone, "summary"))
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    def forget(self, phone: str) -> None:
        self._redis.delete(self._key(phone, "transcript"), self._key(phone, "summary"))
        self._redis.zrem(self.index_key, phone)

    def keys_of(self, phone: str) -> list[str]:
        return [self._key(phone, "transcript"), self._key(phone, "summary")]
