"""The checkpointer as turns use it: a conversation's checkpoint is read once per turn.

A turn reads the state before running the graph (is this message a replay? does a person have
the conversation? what did it look like before, for the Chatwoot mirror?), and the graph reads
the same checkpoint again when it starts. Under the phone's turn lock nobody else writes that
checkpoint, so inside `ConversationService.locked` the bytes of the first read are kept and the
graph's read is decoded from them (a fresh copy: the graph updates what it loads in place, and
decoding is cheaper than `copy.deepcopy`); any write of the thread forgets them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
)

from integrations.redis.saver import RawTuple, RedisSaver


@dataclass
class _Held:
    thread_id: str
    loaded: bool = False
    found: RawTuple | None = None


_HELD: ContextVar[_Held | None] = ContextVar("iagente_held_checkpoint", default=None)


class TurnSaver(RedisSaver):
    """RedisSaver that reads a held thread's newest checkpoint from Redis once (see `holding`)."""

    @contextmanager
    def holding(self, thread_id: str) -> Iterator[None]:
        """Within the `with` (the caller holds the thread's turn lock), read it once."""
        token = _HELD.set(_Held(thread_id))
        try:
            yield
        finally:
            _HELD.reset(token)

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint `config` names; a held thread's newest one is read from Redis once."""
        held, conf = _HELD.get(), config["configurable"]
        if (
            held is None
            or conf["thread_id"] != held.thread_id
            or conf.get("checkpoint_ns", "")
            or get_checkpoint_id(config)
        ):
            return super().get_tuple(config)
        if not held.loaded:
            held.found, held.loaded = self._get_raw(config), True
        return self._decode(conf["thread_id"], held.found) if held.found else None

    def _forget(self, thread_id: Any) -> None:
        held = _HELD.get()
        if held is not None and held.thread_id == thread_id:
            held.loaded, held.found = False, None

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint; a held thread is read from Redis again after it."""
        self._forget(config["configurable"]["thread_id"])
        return super().put(config, checkpoint, metadata, new_versions)

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's pending writes; a held thread is read from Redis again after them."""
        self._forget(config["configurable"]["thread_id"])
        super().put_writes(config, writes, task_id, task_path)

    def delete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint of the thread, and what this saver holds of it."""
        self._forget(thread_id)
        super().delete_thread(thread_id)
