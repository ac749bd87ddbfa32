"""The checkpointer's serializer: LangGraph's own, with a short form for a message window.

Every turn stores the conversation's message window again and reads it back twice (the turn's
look at the state, then the graph's). LangGraph's serializer keeps each message as its whole
pydantic model (every field, rebuilt through an extension hook), which made the window most of
the cost of a checkpoint's values. A window of plain messages (a human's or the bot's words:
text, an id, every other field as a new message has it) is stored as [type, text, id] triples
instead: the same messages back, about a tenth of the work to write and a third to read
(bench/README.md). Anything else, a tool call or a name among them, goes the usual way, and
values stored the usual way are read as before.
"""

from __future__ import annotations

from typing import Any

import ormsgpack
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

WINDOW = "iagente-window"  # the kind of a stored window of plain messages

_KEPT = ("content", "id", "type")
_CLASSES: dict[str, type[BaseMessage]] = {"human": HumanMessage, "ai": AIMessage}


def _untouched(cls: type[BaseMessage]) -> tuple[tuple[str, Any], ...]:
    """Every other field of `cls`, with the value a message made without it holds."""
    return tuple(
        (name, field.get_default(call_default_factory=True))
        for name, field in cls.model_fields.items()
        if name not in _KEPT
    )


_DEFAULTS = {cls: _untouched(cls) for cls in _CLASSES.values()}


def plain_window(value: Any) -> bool:
    """`value` is a non-empty list of human and AI messages with nothing but text and an id."""
    return (
        type(value) is list
        and bool(value)
        and all(
            (defaults := _DEFAULTS.get(type(m))) is not None
            and type(m.content) is str
            and (m.id is None or type(m.id) is str)
            and all(getattr(m, name) == default for name, default in defaults)
            for m in value
        )
    )


class WindowSerializer(JsonPlusSerializer):
    """JsonPlusSerializer, with a plain message window stored as (type, text, id) triples."""

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """A plain window in short; anything else as LangGraph's serializer stores it."""
        if plain_window(obj):
            return WINDOW, ormsgpack.packb([(m.type, m.content, m.id) for m in obj])
        return super().dumps_typed(obj)

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        """New objects from what `dumps_typed` (or LangGraph's serializer) stored."""
        kind, payload = data
        if kind == WINDOW:
            return [
                _CLASSES[type_](content=content, id=id_)
                for type_, content, id_ in ormsgpack.unpackb(payload)
            ]
        return super().loads_typed(data)
