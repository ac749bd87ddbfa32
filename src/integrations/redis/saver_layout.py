"""Field names, value framing and decoding of the Redis checkpointer (key names: `keys`)."""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    Checkpoint,
    CheckpointTuple,
    SerializerProtocol,
    writes_sort_key,
)

# Field names join their parts with NUL: LangGraph namespaces, checkpoint ids and task ids never
# contain it, and it sorts below every other byte, so "<ns>\0" ranges hold exactly one namespace.
SEP = b"\0"


def _check(ns: str) -> bytes:
    encoded = ns.encode()
    if SEP in encoded:
        raise ValueError(f"checkpoint namespace contains NUL: {ns!r}")
    return encoded


def ref(ns: str, checkpoint_id: str) -> bytes:
    """Member of the idx ZSET and field of the cp HASH for one checkpoint."""
    return _check(ns) + SEP + checkpoint_id.encode()


def split_ref(member: bytes) -> tuple[str, str]:
    """The namespace and checkpoint id of an index member."""
    ns, _, checkpoint_id = member.partition(SEP)
    return ns.decode(), checkpoint_id.decode()


def namespace_of(member: bytes) -> bytes:
    """The encoded namespace of an index member (or of a blob field)."""
    return member.partition(SEP)[0]


def ns_range(ns: str) -> tuple[bytes, bytes]:
    """(min, max) of a BYLEX range holding every checkpoint of one namespace."""
    encoded = _check(ns)
    return b"[" + encoded + SEP, b"(" + encoded + b"\x01"


def write_range(checkpoint_ref: bytes) -> tuple[bytes, bytes]:
    """(min, max) of a BYLEX range of the widx ZSET holding one checkpoint's writes."""
    return b"[" + checkpoint_ref + SEP, b"(" + checkpoint_ref + b"\x01"


def write_field(checkpoint_ref: bytes, task_id: str, idx: int) -> bytes:
    """The writes hash field of one pending write of `task_id` to `checkpoint_ref`."""
    return checkpoint_ref + SEP + f"{task_id}\0{idx}".encode()


def owner_of_write(field: bytes) -> bytes:
    """The checkpoint ref a write field belongs to."""
    return field.rsplit(SEP, 2)[0]


def blob_field(ns: str, channel: str, version: Any) -> bytes:
    """The blobs hash field of a channel's value at one version."""
    return _check(ns) + SEP + channel.encode() + SEP + str(version).encode()


# Checkpoint records repeat 50-byte version strings dozens of times and message windows are
# chatty text: zlib at level 1 shrinks both about 3.5x for ~2 µs, which keeps a conversation small.
COMPRESSED = b"\x01"  # a JSON header never starts with this byte
COMPRESS_OVER = 512


def pack(header: Any, payload: bytes) -> bytes:
    """A JSON header line, then opaque serde bytes; zlib-compressed when large."""
    line = _KIND_LINES.get(header) if isinstance(header, str) else None
    if line is None:
        line = json.dumps(header, separators=(",", ":")).encode() + b"\n"
        if isinstance(header, str) and len(_KIND_LINES) < _KINDS_KEPT:
            _KIND_LINES[header] = line
    data = line + payload
    return COMPRESSED + zlib.compress(data, 1) if len(data) > COMPRESS_OVER else data


def unpack(raw: bytes) -> tuple[Any, bytes]:
    """The JSON header and serde payload of a value `pack` wrote."""
    if raw[:1] == COMPRESSED:
        raw = zlib.decompress(raw[1:])
    line, _, payload = raw.partition(b"\n")
    header = _KINDS.get(line)
    if header is None:
        header = json.loads(line)
        if isinstance(header, str) and len(_KINDS) < _KINDS_KEPT:
            _KINDS[line] = header
    return header, payload


# A channel value's header is only its serde kind ("msgpack", "empty", …): a handful of strings,
# each parsed once instead of once per channel per read (a read parses about thirty). Strings
# only: they can't be changed by whoever gets them, unlike a record's dict header.
_KINDS_KEPT = 64
_KINDS: dict[bytes, str] = {}
_KIND_LINES: dict[str, bytes] = {}


def checkpoint_config(thread_id: Any, ns: str, checkpoint_id: str) -> RunnableConfig:
    """The RunnableConfig that names one checkpoint, as LangGraph hands them back."""
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint_id,
        }
    }


def decode_tuple(
    serde: SerializerProtocol,
    thread_id: Any,
    checkpoint_ref: bytes,
    header: dict[str, Any],
    payload: bytes,
    *,
    blobs: Sequence[bytes | None],
    writes: Sequence[bytes | None],
) -> CheckpointTuple:
    """A CheckpointTuple from a record, its channels' blobs and its writes.

    Blobs come in `header["versions"]` order; writes in any order, and are returned in
    `writes_sort_key` order, as LangGraph requires.
    """
    ns, checkpoint_id = split_ref(checkpoint_ref)
    channel_values = {}
    for channel, blob in zip(header["versions"], blobs, strict=False):
        if blob is not None:
            kind, data = unpack(blob)
            if kind != "empty":
                channel_values[channel] = serde.loads_typed((kind, data))
    pending = []
    for raw in writes:
        if raw is not None:
            (task_id, channel, kind, task_path, idx), data = unpack(raw)
            sort_key = writes_sort_key(task_path, task_id, idx)
            pending.append((sort_key, (task_id, channel, serde.loads_typed((kind, data)))))
    pending.sort(key=lambda item: item[0])
    parent = header["parent"]
    checkpoint: Checkpoint = serde.loads_typed((header["type"], payload))
    return CheckpointTuple(
        config=checkpoint_config(thread_id, ns, checkpoint_id),
        checkpoint={
            **checkpoint,
            "channel_versions": header["versions"],
            "channel_values": channel_values,
        },
        metadata=header["metadata"],
        parent_config=checkpoint_config(thread_id, ns, parent) if parent else None,
        pending_writes=[write for _, write in pending],
    )


def all_but_newest(members: Iterable[bytes], keep: int, only_ns: str | None = None) -> set[bytes]:
    """Index members beyond the `keep` newest of each namespace (of `only_ns` if given)."""
    by_ns: dict[bytes, list[bytes]] = defaultdict(list)
    for member in members:  # ZRANGE order: by namespace, then oldest checkpoint first
        by_ns[namespace_of(member)].append(member)
    if only_ns is not None:
        by_ns = {only_ns.encode(): by_ns.get(only_ns.encode(), [])}
    return {m for ns_members in by_ns.values() for m in ns_members[:-keep]}


def referenced_blobs(refs: Sequence[bytes], records: Sequence[bytes | None]) -> set[bytes]:
    """Blob fields the checkpoints `refs` reference (records may run past refs; zip stops)."""
    fields: set[bytes] = set()
    for checkpoint_ref, record in zip(refs, records, strict=False):
        if record is not None:
            ns = split_ref(checkpoint_ref)[0]
            versions = unpack(record)[0]["versions"]
            fields.update(blob_field(ns, ch, v) for ch, v in versions.items())
    return fields


def batched(items: Iterable[bytes], size: int) -> Iterator[list[bytes]]:
    """`items` in lists of `size` (the last may be shorter): one round trip per batch."""
    batch: list[bytes] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
