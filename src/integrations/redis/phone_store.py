"""What the per-phone stores share: the client, the key prefix, idle expiry, compact JSON.

A store keeps records of a phone beside its checkpoints (same hash tag), so a turn writes them
in one MULTI, and they expire `ttl_seconds` after the phone's last write, as the rest do.
"""

from __future__ import annotations

import json
from typing import TypedDict

import redis

from integrations.redis.keys import conversation_key

# Clients are made with decode_responses=False: replies hold bytes, which redis-py types
# `bytes | str` since it cannot know. The stores' casts say so.


class StoreOptions(TypedDict, total=False):
    """Every store's keywords: where its keys live, how long an idle phone's records stay."""

    prefix: str
    ttl_seconds: int | None


def compact_json(value: object) -> str:
    """`value` as JSON without spaces, non-ASCII text as itself: how records are stored."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class PhoneStore:
    """Records of each phone on `client`, under `prefix`, expiring `ttl_seconds` after a write."""

    def __init__(
        self, client: redis.Redis, *, prefix: str = "iagente", ttl_seconds: int | None = None
    ) -> None:
        """Keep the records under `prefix`; `ttl_seconds` (None: never) expires an idle phone's."""
        self._redis = client
        self._prefix = prefix
        self._ttl = ttl_seconds

    def _phone_key(self, phone: str, what: str) -> str:
        return conversation_key(self._prefix, phone, what)

    def _expire(self, pipe: redis.client.Pipeline, *keys: str) -> None:
        """Let `keys` expire with the conversation, from this write on (if it expires at all)."""
        if self._ttl:
            for key in keys:
                pipe.expire(key, self._ttl)
