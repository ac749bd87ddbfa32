"""The checkpointer's Lua scripts, run by their SHA (the text is sent only when Redis lacks it)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import redis
from redis.typing import EncodableT

# `put` as one script: the changed channel values, the record, its index entry and the thread's
# TTL, answering how many checkpoints the namespace holds. As a MULTI it was ten commands whose
# packing and replies cost the client a third of a put (bench/README.md, worker_bench).
# KEYS: the thread's keys (ThreadKeys order). ARGV: ref, record, TTL ("" for none), the
# namespace's BYLEX range (two), then blob field and value pairs.
PUT = """
if #ARGV > 5 then
  redis.call("HSET", KEYS[3], unpack(ARGV, 6, #ARGV))
end
redis.call("HSET", KEYS[2], ARGV[1], ARGV[2])
redis.call("ZADD", KEYS[1], 0, ARGV[1])
if ARGV[3] ~= "" then
  for i = 1, #KEYS do
    redis.call("EXPIRE", KEYS[i], ARGV[3])
  end
end
return redis.call("ZLEXCOUNT", KEYS[1], ARGV[4], ARGV[5])
"""

# The newest checkpoint of a namespace: its ref, its record and the fields of its pending writes
# (nil when there is none). KEYS: idx, cp, widx. ARGV: the namespace's BYLEX range.
NEWEST = """
local newest = redis.call("ZREVRANGEBYLEX", KEYS[1], ARGV[2], ARGV[1], "LIMIT", 0, 1)[1]
if not newest then
  return nil
end
local record = redis.call("HGET", KEYS[2], newest)
if not record then
  return nil
end
local writes = redis.call("ZRANGEBYLEX", KEYS[3], "[" .. newest .. "\\0", "(" .. newest .. "\\1")
return {newest, record, writes}
"""


class Scripts:
    """Runs Lua scripts on one client by SHA, sending a script's text only when Redis lacks it.

    Plain EVALSHA, not redis-py's `Script` objects: it costs the client less, and a cluster
    client routes it by its keys like any command.
    """

    def __init__(self, client: redis.Redis) -> None:
        """Scripts for `client`."""
        self.client = client
        self._shas: dict[str, str] = {}

    def run(self, source: str, keys: Sequence[str], args: Sequence[EncodableT]) -> Any:
        """Run the Lua `source` with `keys` and `args`; its reply."""
        sha = self._shas.get(source)
        if sha is None:
            sha = self._shas[source] = hashlib.sha1(source.encode()).hexdigest()
        try:
            return self.client.execute_command("EVALSHA", sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:  # first use, or Redis restarted or flushed
            return self.client.execute_command("EVAL", source, len(keys), *keys, *args)
