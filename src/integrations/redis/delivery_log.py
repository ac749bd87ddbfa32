"""The last webhook deliveries, capped in Redis, for the admin's `GET /webhook/logs`.

Records are buffered in the process and written in one pipeline every half second by a daemon
thread: a Redis round trip per webhook cost a quarter of the webhook's throughput, and losing
the last half second of an admin log on a crash is an acceptable trade.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from datetime import UTC, datetime

import redis

log = logging.getLogger(__name__)


class DeliveryLog:
    """The newest `cap` webhook deliveries, written in batches by one thread per process."""

    def __init__(
        self, client: redis.Redis, *, prefix: str = "iagente", cap: int = 500, every: float = 0.5
    ) -> None:
        """Keep `cap` records under `{prefix}:webhook_log`, flushed every `every` seconds."""
        self._redis = client
        self._key = f"{prefix}:webhook_log"
        self.cap = cap
        self._every = every
        self._pending: deque[str] = deque(maxlen=cap)
        self._lock = threading.Lock()
        self._flusher: threading.Thread | None = None

    def record(self, **entry: object) -> None:
        """One delivery; the caller passes only masked, non-personal fields."""
        entry = {"at": datetime.now(UTC).isoformat(timespec="milliseconds"), **entry}
        self._pending.append(json.dumps(entry, separators=(",", ":")))
        if self._flusher is None:
            with self._lock:
                if self._flusher is None:
                    self._flusher = threading.Thread(
                        target=self._run, name="delivery-log", daemon=True
                    )
                    self._flusher.start()

    def flush(self) -> None:
        """Write the records buffered in this process now."""
        batch = []
        while self._pending:
            batch.append(self._pending.popleft())
        if not batch:
            return
        pipe = self._redis.pipeline(transaction=False)
        pipe.lpush(self._key, *batch)
        pipe.ltrim(self._key, 0, self.cap - 1)
        pipe.execute()

    def _run(self) -> None:
        while True:
            threading.Event().wait(self._every)
            try:
                self.flush()
            except Exception as exc:  # the flusher must outlive any one failure
                # Redis away, or a cluster client closed under us: the next round tries again.
                log.warning("could not write the webhook delivery log: %s", type(exc).__name__)

    def latest(self, limit: int) -> list[dict]:
        """The `limit` newest deliveries of every process, newest first."""
        self.flush()  # this process's newest deliveries too
        return [json.loads(raw) for raw in self._redis.lrange(self._key, 0, limit - 1)]
