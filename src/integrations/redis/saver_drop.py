"""Dropping a thread's old checkpoints: with their writes, and the blobs no survivor uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import redis

from integrations.redis.keys import ThreadKeys
from integrations.redis.saver_layout import namespace_of, owner_of_write, referenced_blobs

TXN_ATTEMPTS = 10  # optimistic transactions tried before giving up on a busy thread


def drop_checkpoints(
    client: redis.Redis,
    keys: ThreadKeys,
    select: Callable[[list[bytes]], set[bytes]],
    attempts: int = TXN_ATTEMPTS,
) -> None:
    """Delete the checkpoints `select` picks, with their writes and unreferenced blobs.

    Blobs go when no surviving checkpoint of their namespace references them; all of it in
    one optimistic transaction.

    With attempts=1 a concurrent change to the thread skips the work instead of retrying:
    the trimming after a put is amortised, and the next put will try again.
    """
    for _ in range(attempts):
        with client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(keys.idx, keys.widx)
                members = cast(list[bytes], pipe.zrange(keys.idx, 0, -1))
                write_fields = cast(list[bytes], pipe.zrange(keys.widx, 0, -1))
                doomed = select(members)
                if not doomed:
                    return
                spaces = {namespace_of(r) for r in doomed}
                ordered = sorted(doomed)
                kept = [m for m in members if m not in doomed and namespace_of(m) in spaces]
                records = cast(list[bytes | None], pipe.hmget(keys.cp, ordered + kept))
                referenced = referenced_blobs(kept, records[len(ordered) :])
                dead = referenced_blobs(ordered, records) - referenced
                dead_writes = [f for f in write_fields if owner_of_write(f) in doomed]
                pipe.multi()
                pipe.zrem(keys.idx, *ordered)
                pipe.hdel(keys.cp, *ordered)
                if dead:
                    pipe.hdel(keys.blobs, *dead)
                if dead_writes:
                    pipe.hdel(keys.writes, *dead_writes)
                    pipe.zrem(keys.widx, *dead_writes)
                pipe.execute()
                return
            except redis.WatchError:
                continue
    if attempts > 1:
        raise redis.WatchError(f"thread keys {keys.idx!r} kept changing; gave up")
