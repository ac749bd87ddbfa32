"""The last webhook deliveries, capped in Redis, for the admin's `GET /webhook/logs`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import redis


class DeliveryLog:
    def __init__(self, client: redis.Redis, *, prefix: str = "iagente", cap: int = 500) -> None:
        self._redis = client
        self._key = f"{prefix}:webhook_log"
        self.cap = cap

    def record(self, **entry: object) -> None:
        """One delivery; the caller passes only masked, non-personal fields."""
        entry = {"at": datetime.now(UTC).isoformat(timespec="milliseconds"), **entry}
        pipe = self._redis.pipeline(transaction=False)
        pipe.lpush(self._key, json.dumps(entry, separators=(",", ":")))
        pipe.ltrim(self._key, 0, self.cap - 1)
        pipe.execute()

    def latest(self, limit: int) -> list[dict]:
        return [json.loads(raw) for raw in self._redis.lrange(self._key, 0, limit - 1)]
