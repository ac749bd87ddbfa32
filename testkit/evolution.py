"""Evolution API webhooks as tests post them: the recorded bodies, a fresh JWT, hostile variants."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt

WEBHOOKS = Path(__file__).parents[1] / "tests" / "data" / "evolution" / "webhooks"
WEBHOOK_TOKEN = "evolution-webhook-token-for-tests-0123456789"
# Values a hostile or broken sender could put anywhere in a payload.
HOSTILE: list[Any] = [None, [], {}, [None], 10**30, -1, 1.5, True, "", "x" * 10_000, "٣٤٦"]


def recorded_webhooks() -> dict[str, dict]:
    """Every recorded webhook body, by file name."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(WEBHOOKS.glob("*.json"))}


def bearer(key: str = WEBHOOK_TOKEN) -> dict[str, str]:
    """Headers of a webhook POST as Evolution sends them, with a fresh JWT signed with `key`."""
    now = int(time.time())
    claims = {"iat": now, "exp": now + 600, "app": "evolution", "action": "webhook"}
    return {
        "Authorization": "Bearer " + jwt.encode(claims, key, algorithm="HS256"),
        "Content-Type": "application/json",
    }


def leaves(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """Paths to every value in a payload, index-keyed byte objects counted once."""
    if isinstance(value, dict) and value and not all(k.isdigit() for k in value):
        yield path
        for key, inner in value.items():
            yield from leaves(inner, (*path, key))
    elif isinstance(value, list) and value:
        yield path
        for n, inner in enumerate(value):
            yield from leaves(inner, (*path, n))
    else:
        yield path


def replaced(payload: Any, path: tuple, new: Any) -> Any:
    """A copy of `payload` with the value at `path` replaced by `new`."""
    if not path:
        return new
    copy = json.loads(json.dumps(payload))
    where = copy
    for part in path[:-1]:
        where = where[part]
    where[path[-1]] = new
    return copy


def evolution_variants() -> list[bytes]:
    """A recorded message with odd insides: wrong types, huge numbers, nulls, long strings."""
    base = recorded_webhooks()["messages_upsert_conversation"]
    bodies = []
    for n, path in enumerate(leaves(base)):
        for m, new in enumerate(HOSTILE):
            variant = replaced(base, path, new)
            if isinstance(variant, dict) and isinstance(variant.get("data"), dict):
                key = variant["data"].get("key")
                if isinstance(key, dict) and "id" not in path:
                    key["id"] = f"3AH{n:04d}{m:02d}"  # each one a new message
            bodies.append(json.dumps(variant).encode())
    return bodies
