"""The checkpointer as turns use it: a conversation's checkpoint is read once per turn.

A turn reads the state before running the graph (is this message a replay? does a person have
the conversation? what did it look like before, for the Chatwoot mirror?), and the graph reads
the same checkpoint again when it starts. Under the phone's turn lock nobody else writes that
checkpoint, so inside `ConversationService.locked` the bytes of the first read are kept and the
graph's read is decoded from them (a fresh copy: the graph updates what it loads in place, and
decoding is cheaper than `copy.deepcopy`); any write of the thread forgets them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import CheckpointTuple, get_checkpoint_id

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

    def at_rest(self, thread_id: str) -> bool:
        """The held thread was read and its newest checkpoint (if any) has no pending writes.

        Pending writes are what a run that stopped midway leaves; a turn that ended has none.
        """
        held = _HELD.get()
        if held is None or held.thread_id != thread_id or not held.loaded:
            return False
        if held.found is None:
            return True  # a new conversation
        _ref, _record, _blobs, writes = held.found
        return not writes

    def _changing(self, thread_id: Any) -> None:
        """A write of a held thread: its checkpoint is read from Redis again after it."""
        held = _HELD.get()
        if held is not None and held.thread_id == thread_id:
            held.loaded, held.found = False, None
