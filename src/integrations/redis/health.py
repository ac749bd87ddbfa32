"""The latest outcome of each outside service, as the processes using it last saw it.

Checking Meta, Twilio or Chatwoot from a public status endpoint would let anyone spend our
rate limits; instead every real call reports here, and the status endpoint reads one hash.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import cast

import redis

# Clients are made with decode_responses=False: replies hold bytes, which redis-py types
# `bytes | str` since it cannot know. The casts below say so.


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class HealthBook:
    """One hash of each outside service's latest success and failure, shared by all processes."""

    def __init__(
        self, client: redis.Redis, *, prefix: str = "iagente", ok_every: float = 1.0
    ) -> None:
        """Keep the outcomes under `{prefix}:health`.

        A success is written at most every `ok_every` seconds per component and process (a
        round trip per reply sent was a sixth of the worker's Redis round trips), and always
        right after this process saw that component fail.
        """
        self._redis = client
        self._key = f"{prefix}:health"
        self._ok_every = ok_every
        self._ok_written: dict[str, float] = {}  # component -> when this process last wrote ok

    def ok(self, component: str) -> None:
        """A call to `component` just succeeded."""
        now = time.monotonic()
        if now - self._ok_written.get(component, -math.inf) < self._ok_every:
            return
        self._ok_written[component] = now
        self._redis.hset(
            self._key, mapping={f"{component}:ok_at": _now(), f"{component}:last": "ok"}
        )

    def failed(self, component: str, error: str) -> None:
        """`error` is a code and title, never a message that could carry personal data."""
        self._ok_written.pop(component, None)  # the next success is written at once
        self._redis.hset(
            self._key,
            mapping={
                f"{component}:error": error[:200],
                f"{component}:error_at": _now(),
                f"{component}:last": "error",
            },
        )

    def read(self, component: str, raw: dict[bytes, bytes] | None = None) -> dict:
        """The component's reachable (None: never used), last_ok_at, last_error, last_error_at."""
        if raw is None:
            raw = cast(dict[bytes, bytes], self._redis.hgetall(self._key))

        def get(field: str) -> str | None:
            value = raw.get(f"{component}:{field}".encode())
            return value.decode() if value is not None else None

        last = get("last")
        return {
            "reachable": None if last is None else last == "ok",
            "last_ok_at": get("ok_at"),
            "last_error": get("error"),
            "last_error_at": get("error_at"),
        }

    def read_all(self, components: list[str]) -> dict[str, dict]:
        """`read` for each of `components`, from one read of the hash."""
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self._key))
        return {name: self.read(name, raw) for name in components}
