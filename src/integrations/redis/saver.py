r"""LangGraph checkpointer on plain Redis commands (Redis >= 6.2, Valkey, Redis Cluster).

Five keys per thread whatever its history, all carrying the thread's hash tag, so every command
on one thread may share a MULTI/EXEC even on Redis Cluster (names in `keys`, fields in
`saver_layout`):

    {prefix}:ckpt:{<thread>}:idx     ZSET  "<ns>\0<checkpoint_id>", score 0, walked BYLEX
    {prefix}:ckpt:{<thread>}:cp      HASH  "<ns>\0<checkpoint_id>" -> record (no channel values)
    {prefix}:ckpt:{<thread>}:blobs   HASH  "<ns>\0<channel>\0<version>" -> channel value
    {prefix}:ckpt:{<thread>}:writes  HASH  "<ns>\0<checkpoint_id>\0<task_id>\0<idx>" -> write
    {prefix}:ckpt:{<thread>}:widx    ZSET  the writes' field names, one checkpoint = one BYLEX range

Checkpoint ids are time-ordered uuid6 strings of one length, so byte order is time order and the
index replaces both a per-namespace list and a namespace set. Channel values are stored once per
(channel, version), as LangGraph's Postgres saver does: a put writes only the channels in
`new_versions`. `keep_last` trims each namespace to its newest checkpoints and deletes the writes
and blobs nothing retained references; `ttl_seconds` re-arms EXPIRE on all five keys on each put
and put_writes, so an idle conversation disappears as a whole.

The async methods run the sync ones in a worker thread (`saver_async`); the Lua scripts are
`saver_scripts`', the stored form of a message window `saver_serde`'s.
"""

from __future__ import annotations

import builtins
import random
from collections.abc import (
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any, cast

import redis
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    SerializerProtocol,
    get_checkpoint_id,
    get_serializable_checkpoint_metadata,
)
from redis.typing import EncodableT, FieldT

from integrations.redis.keys import ThreadKeys, thread_from_key, thread_pattern
from integrations.redis.saver_async import each_in_thread, in_thread
from integrations.redis.saver_drop import drop_checkpoints
from integrations.redis.saver_layout import (
    all_but_newest,
    batched,
    blob_field,
    checkpoint_config,
    decode_tuple,
    ns_range,
    pack,
    ref,
    split_ref,
    unpack,
    write_field,
    write_range,
)
from integrations.redis.saver_scripts import NEWEST, PUT, Scripts
from integrations.redis.saver_serde import WindowSerializer

_PAGE = 100

# A checkpoint as stored: its ref, its record, its channels' blobs and its pending writes.
RawTuple = tuple[bytes, bytes, list[bytes | None], list[bytes | None]]

# The client is made with decode_responses=False (checked in __init__), so replies hold bytes;
# redis-py types them `bytes | str` since it cannot know. The casts below say so, nothing more.


class RedisSaver(BaseCheckpointSaver[str]):
    """Checkpointer on a `redis.Redis` client created with `decode_responses=False`."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "iagente",
        ttl_seconds: int | None = None,
        keep_last: int | None = None,
        serde: SerializerProtocol | None = None,
    ) -> None:
        """Keep `keep_last` checkpoints per namespace; a thread idle `ttl_seconds` expires."""
        super().__init__(serde=serde or WindowSerializer())
        if client.get_connection_kwargs().get("decode_responses"):
            raise ValueError("RedisSaver needs a client with decode_responses=False")
        if keep_last is not None and keep_last < 1:
            raise ValueError("keep_last must be at least 1")
        if ttl_seconds is not None and ttl_seconds < 1:
            raise ValueError("ttl_seconds must be at least 1")
        self.client = client
        self._scripts = Scripts(client)
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self.keep_last = keep_last
        # Trimming costs a few round trips, so it runs once the excess reaches this slack.
        self.trim_slack = max(1, (keep_last or 0) // 2)

    # --- reads -----------------------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint the config names, or the newest of its namespace, with its writes."""
        raw = self._get_raw(config)
        return self._decode(config["configurable"]["thread_id"], raw) if raw else None

    def _get_raw(self, config: RunnableConfig) -> RawTuple | None:
        """What `get_tuple` decodes, as Redis holds it (decode it again for a fresh copy)."""
        conf = config["configurable"]
        thread_id, ns = conf["thread_id"], conf.get("checkpoint_ns", "")
        keys = self._keys(thread_id)
        checkpoint_id = get_checkpoint_id(config)
        if checkpoint_id:
            wanted = ref(ns, checkpoint_id)
        else:
            # The newest checkpoint, its record and its writes' fields in one round trip.
            newest = self._scripts.run(NEWEST, (keys.idx, keys.cp, keys.widx), ns_range(ns))
            if not newest:
                return None
            found = self._values(keys, self._matched([newest[0]], [newest[1]], [newest[2]], None))
            return found[0] if found else None
        found = self._fetch(keys, [wanted], None)
        return found[0] if found else None

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Checkpoints newest first, of one thread or all; `filter` matches metadata."""
        if config is None:
            threads: Iterable[Any] = self._scan_threads("idx")
            ns, only_id = None, None
        else:
            conf = config["configurable"]
            threads = [conf["thread_id"]]
            ns, only_id = conf.get("checkpoint_ns"), get_checkpoint_id(config)
        before_id = get_checkpoint_id(before) if before else None
        remaining = limit
        page = _PAGE if filter or limit is None else min(limit, _PAGE)
        for thread_id in threads:
            keys = self._keys(thread_id)
            refs = self._newest_first(keys, ns, before_id)
            if only_id:
                refs = (r for r in refs if split_ref(r)[1] == only_id)
            for batch in batched(refs, page):
                for found in self._load(keys, thread_id, batch, filter):
                    if remaining is not None:
                        if remaining <= 0:
                            return
                        remaining -= 1
                    yield found

    def _newest_first(
        self, keys: ThreadKeys, ns: str | None, before_id: str | None
    ) -> Iterator[bytes]:
        if ns is None:
            # Every namespace: the whole index, newest checkpoint first across namespaces.
            members = cast(list[bytes], self.client.zrange(keys.idx, 0, -1))
            ordered = sorted(members, key=lambda m: split_ref(m)[1], reverse=True)
            yield from (m for m in ordered if before_id is None or split_ref(m)[1] < before_id)
            return
        low, high = ns_range(ns)
        if before_id is not None:
            high = b"(" + ref(ns, before_id)
        while members := cast(
            list[bytes], self.client.zrevrangebylex(keys.idx, high, low, 0, _PAGE)
        ):
            yield from members
            high = b"(" + members[-1]

    def _load(
        self,
        keys: ThreadKeys,
        thread_id: Any,
        refs: Sequence[bytes],
        filter: dict[str, Any] | None,
    ) -> builtins.list[CheckpointTuple]:
        """Tuples for `refs` that exist and match `filter`, in two round trips."""
        return [self._decode(thread_id, raw) for raw in self._fetch(keys, refs, filter)]

    def _fetch(
        self,
        keys: ThreadKeys,
        refs: Sequence[bytes],
        filter: dict[str, Any] | None,
    ) -> builtins.list[RawTuple]:
        """The stored bytes of `refs` that exist and match `filter`, in two round trips."""
        pipe = self.client.pipeline(transaction=False)
        pipe.hmget(keys.cp, refs)
        for r in refs:
            pipe.zrangebylex(keys.widx, *write_range(r))
        records, *write_fields = pipe.execute()
        return self._values(keys, self._matched(refs, records, write_fields, filter))

    def _matched(
        self,
        refs: Sequence[bytes],
        records: Sequence[bytes | None],
        write_fields: Sequence[builtins.list[bytes]],
        filter: dict[str, Any] | None,
    ) -> builtins.list[tuple[bytes, bytes, builtins.list[bytes], builtins.list[bytes]]]:
        """The checkpoints that exist and match `filter`, with the fields of their values."""
        matched = []
        for r, record, fields in zip(refs, records, write_fields, strict=True):
            if record is None:
                continue
            header = unpack(record)[0]
            metadata = header["metadata"]
            if filter and any(metadata.get(k) != v for k, v in filter.items()):
                continue
            ns = split_ref(r)[0]
            blob_fields = [blob_field(ns, ch, v) for ch, v in header["versions"].items()]
            matched.append((r, record, blob_fields, fields))
        return matched

    def _values(
        self,
        keys: ThreadKeys,
        matched: Sequence[tuple[bytes, bytes, builtins.list[bytes], builtins.list[bytes]]],
    ) -> builtins.list[RawTuple]:
        """The matched checkpoints with their channels' blobs and pending writes: one round trip."""
        pipe = self.client.pipeline(transaction=False)
        for _, _, blob_fields, fields in matched:
            if blob_fields:  # HMGET needs at least one field
                pipe.hmget(keys.blobs, blob_fields)
            if fields:
                pipe.hmget(keys.writes, fields)
        values = iter(pipe.execute())
        return [
            (
                r,
                record,
                next(values) if blob_fields else [],
                next(values) if fields else [],
            )
            for r, record, blob_fields, fields in matched
        ]

    def _decode(self, thread_id: Any, raw: RawTuple) -> CheckpointTuple:
        """A new CheckpointTuple from stored bytes (each call returns objects of its own)."""
        checkpoint_ref, record, blobs, writes = raw
        header, payload = unpack(record)
        return decode_tuple(
            self.serde, thread_id, checkpoint_ref, header, payload, blobs=blobs, writes=writes
        )

    # --- writes ----------------------------------------------------------------------------

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint and the channel values that changed; trim past `keep_last`."""
        conf = config["configurable"]
        thread_id, ns = conf["thread_id"], conf.get("checkpoint_ns", "")
        self._changing(thread_id)
        keys = self._keys(thread_id)
        stripped: dict[str, Any] = dict(checkpoint)
        values = stripped.pop("channel_values")
        versions = stripped.pop("channel_versions")
        kind, payload = self.serde.dumps_typed(stripped)
        header = {
            "type": kind,
            "parent": conf.get("checkpoint_id"),
            "versions": versions,
            "metadata": get_serializable_checkpoint_metadata(config, metadata),
        }
        blobs: Mapping[FieldT, EncodableT] = {
            blob_field(ns, channel, version): (
                pack(*self.serde.dumps_typed(values[channel]))
                if channel in values
                else pack("empty", b"")
            )
            for channel, version in new_versions.items()
        }
        this = ref(ns, checkpoint["id"])
        ttl = "" if self.ttl_seconds is None else self.ttl_seconds
        args: list[EncodableT] = [this, pack(header, payload), ttl, *ns_range(ns)]
        args += [part for pair in blobs.items() for part in pair]
        count = self._scripts.run(PUT, keys.all, args)
        if self.keep_last is not None and count >= self.keep_last + self.trim_slack:
            keep = self.keep_last
            drop_checkpoints(
                self.client,
                keys,
                lambda members: all_but_newest(members, keep, only_ns=ns),
                attempts=1,
            )
        return checkpoint_config(thread_id, ns, checkpoint["id"])

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's pending writes against the checkpoint the config names."""
        conf = config["configurable"]
        self._changing(conf["thread_id"])
        ns = conf.get("checkpoint_ns", "")
        keys = self._keys(conf["thread_id"])
        owner = ref(ns, conf["checkpoint_id"])
        pipe = self.client.pipeline(transaction=True)
        for position, (channel, value) in enumerate(writes):
            idx = WRITES_IDX_MAP.get(channel, position)
            field = write_field(owner, task_id, idx)
            kind, data = self.serde.dumps_typed(value)
            record = pack([task_id, channel, kind, task_path, idx], data)
            # A replayed task re-sends its writes: keep the first, but let errors,
            # interrupts and resumes (negative idx) be overwritten as Postgres does.
            if idx >= 0:
                pipe.hsetnx(keys.writes, field, record)
            else:
                pipe.hset(keys.writes, field, record)
            pipe.zadd(keys.widx, {field: 0})
        self._touch(pipe, keys)
        pipe.execute()

    def _changing(self, thread_id: Any) -> None:
        """Called before `put`, `put_writes` and `delete_thread` change the thread in Redis.

        Nothing here; a subclass that keeps a thread's bytes forgets them.
        """

    def _touch(self, pipe: redis.client.Pipeline, keys: ThreadKeys) -> None:
        if self.ttl_seconds is not None:
            for key in keys.all:
                pipe.expire(key, self.ttl_seconds)

    # --- deletion, copy, pruning ---------------------------------------------------------------

    def delete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint, write and blob of the thread."""
        self._changing(thread_id)
        self.client.delete(*self._keys(thread_id).all)

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints the runs `run_ids` made, in every thread."""
        wanted = set(run_ids)
        if not wanted:
            return
        # No global run index: it would live outside the thread's hash slot and outgrow the
        # threads it points at. Deleting runs is an operator's action; scanning is fine there.
        for thread_id in self._scan_threads("cp"):
            keys = self._keys(thread_id)
            records = cast(dict[bytes, bytes], self.client.hgetall(keys.cp))
            doomed = {
                field
                for field, record in records.items()
                if unpack(record)[0]["metadata"].get("run_id") in wanted
            }
            if doomed:
                drop_checkpoints(self.client, keys, doomed.intersection)

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint of one thread into another, merged with what it has."""
        source, target = self._keys(source_thread_id), self._keys(target_thread_id)
        # Records hold no thread id (it is in the key), so the copy is a byte-for-byte merge.
        read = self.client.pipeline(transaction=True)
        read.zrange(source.idx, 0, -1)
        read.hgetall(source.cp)
        read.hgetall(source.blobs)
        read.hgetall(source.writes)
        read.zrange(source.widx, 0, -1)
        idx, cp, blobs, writes, widx = read.execute()
        if not idx:
            return
        pipe = self.client.pipeline(transaction=True)
        pipe.zadd(target.idx, dict.fromkeys(idx, 0))
        pipe.hset(target.cp, mapping=cp)
        if blobs:
            pipe.hset(target.blobs, mapping=blobs)
        if writes:
            pipe.hset(target.writes, mapping=writes)
            pipe.zadd(target.widx, dict.fromkeys(widx, 0))
        self._touch(pipe, target)
        pipe.execute()

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """`keep_latest`: newest checkpoint of each namespace survives; `delete`: nothing does."""
        if strategy not in ("keep_latest", "delete"):
            raise ValueError(f"unknown prune strategy {strategy!r}")
        for thread_id in thread_ids:
            if strategy == "delete":
                self.delete_thread(thread_id)
            else:
                drop_checkpoints(self.client, self._keys(thread_id), lambda m: all_but_newest(m, 1))

    # --- helpers ---------------------------------------------------------------------------

    def _keys(self, thread_id: Any) -> ThreadKeys:
        return ThreadKeys.of(self.prefix, str(thread_id))

    def _scan_threads(self, suffix: str) -> Iterator[str]:
        for key in self.client.scan_iter(match=thread_pattern(self.prefix, suffix), count=500):
            thread_id = thread_from_key(self.prefix, suffix, key)
            if thread_id is not None:
                yield thread_id

    def get_next_version(self, current: str | None, channel: None) -> str:
        """A version above `current`: a zero-padded counter, so versions also sort as text."""
        if current is None:
            current_v = 0
        elif isinstance(current, int):
            current_v = current
        else:
            current_v = int(current.split(".")[0])
        return f"{current_v + 1:032}.{random.random():016}"

    # --- async: the sync implementation in a worker thread ---------------------------------

    aget_tuple = in_thread(get_tuple)

    alist = each_in_thread(list)

    aput = in_thread(put)
    aput_writes = in_thread(put_writes)
    adelete_thread = in_thread(delete_thread)
    adelete_for_runs = in_thread(delete_for_runs)
    acopy_thread = in_thread(copy_thread)
    aprune = in_thread(prune)
